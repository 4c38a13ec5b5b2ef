//! Invented names: places, colleagues, work units and projects. They are what makes a
//! synthetic material "见人见事", and the many combinations keep independent documents
//! apart. Any resemblance to a real place or person is chance.

use crate::rng::Rng;

/// First and second characters of place names (青石, 柳溪…).
const PLACE_FIRST: &[&str] = &[
    "青", "石", "云", "柳", "松", "杨", "柏", "桃", "梅", "兰", "竹", "安", "平", "和", "新", "丰", "永", "福", "宁",
    "华", "金", "银", "东", "西", "南", "北", "龙", "凤", "白", "红", "黄", "清", "明", "长", "古", "高", "双", "三",
    "大", "小", "上", "下", "前", "后", "马", "牛", "鹤", "雁", "鹿", "花", "茶", "稻", "桑", "荷", "莲", "玉", "翠",
    "碧", "紫", "丹", "德", "仁", "义", "顺", "泰", "康", "乐", "宝", "盛", "兴",
];
const PLACE_SECOND: &[&str] = &[
    "溪", "河", "桥", "林", "山", "岭", "泉", "湖", "塘", "坪", "坝", "庄", "湾", "港", "沙", "田", "峰", "阳", "川",
    "源", "口", "台", "岗", "冲", "店", "铺", "寨", "堡", "园", "亭", "洲", "滩", "埠", "集", "营", "屯", "垭", "坡",
    "谷", "渡", "浦", "岩", "丘", "荡", "圩", "墩", "陂", "槐", "杉", "枫", "桂", "梨", "橙", "禾", "麦", "苗", "星",
    "霞", "光", "华",
];
const VILLAGE_SUFFIX: &[&str] = &["村", "村", "村", "社区", "社区", "居委会", "组"];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆",
    "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛",
    "闫", "段", "雷", "侯",
];
const GIVEN: &[&str] = &[
    "建", "国", "平", "军", "华", "明", "伟", "强", "芳", "娟", "敏", "静", "丽", "勇", "杰", "涛", "斌", "超", "磊",
    "洋", "艳", "霞", "刚", "辉", "鹏", "宇", "晨", "欣", "婷", "雪", "红", "林", "峰", "波", "宁", "亮", "飞", "琳",
    "慧", "颖", "志", "文", "新", "海", "春", "秋", "云", "松", "岚", "晓", "永", "德", "庆", "荣", "桂", "兰", "玉",
    "凤", "成", "利", "振", "光", "学", "东", "立", "胜", "利", "思", "佳", "子", "浩", "博", "璐", "倩", "楠", "悦",
    "蕾", "萍", "燕", "瑶",
];

/// County departments a member may work in.
const DEPARTMENTS: &[&str] = &[
    "自然资源局",
    "农业农村局",
    "行政审批局",
    "住建局",
    "教育局",
    "卫健局",
    "市场监管局",
    "人社局",
    "民政局",
    "财政局",
    "统计局",
    "水利局",
    "交通运输局",
    "文旅局",
    "医保局",
    "退役军人局",
    "信访局",
    "应急局",
    "司法局",
    "林业局",
    "商务局",
    "审计局",
    "档案馆",
    "融媒体中心",
    "政务服务中心",
    "机关事务中心",
    "乡村振兴中心",
    "城管局",
    "数据局",
    "供销社",
    "总工会",
    "团县委",
    "妇联",
    "科协",
    "疾控中心",
    "人民医院",
    "中医院",
    "职业中专",
    "税务局",
    "公路中心",
];

/// Sections of a county department, so that members of one department differ.
const SECTIONS: &[&str] = &[
    "办公室",
    "综合股",
    "法规股",
    "财务股",
    "业务一股",
    "业务二股",
    "执法大队",
    "服务中心",
    "督查室",
    "规划股",
    "审批股",
    "监督股",
    "人事股",
    "信息中心",
    "项目办",
    "安全股",
];

const INSTITUTIONS: &[&str] =
    &["中心小学", "初级中学", "中学", "卫生院", "供电所", "派出所", "财政所", "农业服务中心", "便民服务中心", "敬老院"];

/// What a project is about (the place goes in front, 项目/工程 may follow).
const PROJECT_OBJECTS: &[&str] = &[
    "高标准农田",
    "老旧小区改造",
    "雨污分流",
    "人居环境整治",
    "便民中心升级",
    "河道清淤",
    "危房改造",
    "标准厂房",
    "饮水提升",
    "通组道路",
    "供暖管网",
    "校舍维修",
    "卫生院提质",
    "养老服务站",
    "农贸市场",
    "垃圾中转站",
    "污水站提标",
    "光伏电站",
    "茶叶基地",
    "蔬菜大棚",
    "冷链中心",
    "文化广场",
    "党群服务中心",
    "电商服务站",
    "土地整治",
    "水库除险",
    "山洪沟治理",
    "避险搬迁",
    "背街小巷",
    "公厕改造",
    "燃气管道",
    "充电桩",
    "智慧停车",
    "网格治理",
    "调解中心",
    "退役军人站",
    "儿童之家",
    "幸福食堂",
    "农房风貌",
    "林下经济",
    "稻渔种养",
    "中药材基地",
    "肉牛养殖",
    "旅游步道",
    "古村保护",
    "防汛仓库",
    "避难场所",
    "食堂改造",
    "医共体",
    "档案数字化",
    "登记窗口",
    "企业开办",
    "项目审批",
    "网办大厅",
    "热线分中心",
    "资产清查",
    "承包地确权",
    "非粮化整治",
    "秸秆利用",
    "粪污处理",
    "防火通道",
    "护林员",
    "客运一体化",
    "公路养护",
    "桥梁检测",
    "自建房排查",
    "消防站",
    "平安小区",
    "全民健身",
    "图书分馆",
    "社区食堂",
    "就业驿站",
    "培训基地",
    "孵化园",
    "产业园",
    "加工园",
    "物流园",
    "赛事保障",
    "文明创建",
    "卫生复审",
];
const PROJECT_SUFFIX: &[&str] = &["项目", "项目", "工程", "工作", "", "试点"];

fn push_place_name(rng: &mut Rng, out: &mut String) {
    out.push_str(rng.pick(PLACE_FIRST).copied().unwrap_or("青"));
    out.push_str(rng.pick(PLACE_SECOND).copied().unwrap_or("石"));
}

/// A village or community: 柳溪村, 松林社区.
pub(crate) fn place(rng: &mut Rng, out: &mut String) {
    push_place_name(rng, out);
    out.push_str(rng.pick(VILLAGE_SUFFIX).copied().unwrap_or("村"));
}

/// A colleague's name: 王建平.
pub(crate) fn person(rng: &mut Rng, out: &mut String) {
    out.push_str(rng.pick(SURNAMES).copied().unwrap_or("王"));
    for _ in 0..rng.range(1, 2) {
        out.push_str(rng.pick(GIVEN).copied().unwrap_or("明"));
    }
}

/// The author's work unit.
pub(crate) fn unit(rng: &mut Rng) -> String {
    let mut out = String::new();
    match rng.below(10) {
        0..=2 => {
            push_place_name(rng, &mut out);
            out.push_str(rng.pick(&["镇", "镇", "乡", "街道"]).copied().unwrap_or("镇"));
        }
        3..=6 => {
            out.push('县');
            out.push_str(rng.pick(DEPARTMENTS).copied().unwrap_or("统计局"));
            if rng.chance(0.6) {
                out.push_str(rng.pick(SECTIONS).copied().unwrap_or("办公室"));
            }
        }
        7 => {
            push_place_name(rng, &mut out);
            out.push_str(rng.pick(INSTITUTIONS).copied().unwrap_or("中学"));
        }
        _ => {
            push_place_name(rng, &mut out);
            out.push_str(rng.pick(&["村", "社区"]).copied().unwrap_or("村"));
        }
    }
    out
}

/// A project the author worked on this year.
pub(crate) fn project(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.chance(0.75) {
        push_place_name(rng, &mut out);
        out.push_str(rng.pick(&["村", "镇", "社区", "片区", "", ""]).copied().unwrap_or(""));
    }
    out.push_str(rng.pick(PROJECT_OBJECTS).copied().unwrap_or("人居环境整治"));
    out.push_str(rng.pick(PROJECT_SUFFIX).copied().unwrap_or(""));
    out
}
