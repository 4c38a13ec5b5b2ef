//! Invented names: places, colleagues, work units and projects. They are what makes a
//! synthetic material "见人见事", and the many combinations keep independent documents
//! apart. Any resemblance to a real place or person is chance.

use crate::rng::Rng;

/// First and second characters of place names (青石, 柳溪…).
const PLACE_FIRST: &[&str] = &[
    "青", "石", "云", "柳", "松", "杨", "柏", "桃", "梅", "兰", "竹", "安", "平", "和", "新", "丰", "永", "福", "宁", "华",
    "金", "银", "东", "西", "南", "北", "龙", "凤", "白", "红", "黄", "清", "明", "长", "古", "高", "双", "三", "大", "小",
    "上", "下", "前", "后", "马", "牛", "鹤", "雁", "鹿", "花", "茶", "稻", "桑", "荷", "莲", "玉", "翠", "碧", "紫", "丹",
    "德", "仁", "义", "顺", "泰", "康", "乐", "宝", "盛", "兴",
];
const PLACE_SECOND: &[&str] = &[
    "溪", "河", "桥", "林", "山", "岭", "泉", "湖", "塘", "坪", "坝", "庄", "湾", "港", "沙", "田", "峰", "阳", "川", "源",
    "口", "台", "岗", "冲", "店", "铺", "寨", "堡", "园", "亭", "洲", "滩", "埠", "集", "营", "屯", "垭", "坡", "谷", "渡",
    "浦", "岩", "丘", "荡", "圩", "墩", "陂", "槐", "杉", "枫", "桂", "梨", "橙", "禾", "麦", "苗", "星", "霞", "光", "华",
];
const VILLAGE_SUFFIX: &[&str] = &["村", "村", "村", "社区", "社区", "居委会", "组"];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
    "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
    "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
    "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
];
const GIVEN: &[&str] = &[
    "建", "国", "平", "军", "华", "明", "伟", "强", "芳", "娟", "敏", "静", "丽", "勇", "杰", "涛", "斌", "超", "磊", "洋",
    "艳", "霞", "刚", "辉", "鹏", "宇", "晨", "欣", "婷", "雪", "红", "林", "峰", "波", "宁", "亮", "飞", "琳", "慧", "颖",
    "志", "文", "新", "海", "春", "秋", "云", "松", "岚", "晓", "永", "德", "庆", "荣", "桂", "兰", "玉", "凤", "成", "利",
    "振", "光", "学", "东", "立", "胜", "利", "思", "佳", "子", "浩", "博", "璐", "倩", "楠", "悦", "蕾", "萍", "燕", "瑶",
];

/// County departments a member may work in.
const DEPARTMENTS: &[&str] = &[
    "自然资源局",
    "农业农村局",
    "行政审批服务局",
    "住房和城乡建设局",
    "教育局",
    "卫生健康局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "民政局",
    "财政局",
    "统计局",
    "水利局",
    "交通运输局",
    "文化和旅游局",
    "医疗保障局",
    "退役军人事务局",
    "信访局",
    "应急管理局",
    "司法局",
    "林业局",
    "商务局",
    "审计局",
    "档案馆",
    "融媒体中心",
    "政务服务中心",
    "机关事务服务中心",
    "乡村振兴服务中心",
    "城市管理局",
    "数据资源管理局",
    "供销合作社",
    "总工会",
    "团县委",
    "妇联",
    "科学技术协会",
    "疾病预防控制中心",
    "人民医院",
    "中医院",
    "职业中专",
];

const INSTITUTIONS: &[&str] = &[
    "中心小学", "初级中学", "中学", "卫生院", "供电所", "派出所", "财政所", "农业服务中心", "便民服务中心", "敬老院",
];

/// What a project is about (the place goes in front, 项目/工程 may follow).
const PROJECT_OBJECTS: &[&str] = &[
    "高标准农田建设",
    "老旧小区改造",
    "雨污分流改造",
    "人居环境整治",
    "便民服务中心升级",
    "河道清淤",
    "危房改造",
    "标准厂房建设",
    "饮水安全巩固提升",
    "通组道路硬化",
    "集中供暖管网改造",
    "中小学校舍维修",
    "乡镇卫生院提质",
    "养老服务站建设",
    "农贸市场改造",
    "垃圾中转站建设",
    "污水处理站提标",
    "光伏发电",
    "茶叶基地扩建",
    "蔬菜大棚",
    "冷链物流中心",
    "文化广场",
    "党群服务中心",
    "电商服务站",
    "土地整治",
    "小型水库除险加固",
    "山洪沟治理",
    "地质灾害点搬迁",
    "背街小巷整治",
    "公厕改造",
    "燃气管道更新",
    "充电桩布设",
    "智慧停车",
    "网格化治理试点",
    "矛盾纠纷调解中心",
    "退役军人服务站",
    "儿童之家",
    "幸福食堂",
    "农房风貌提升",
    "林下经济",
    "稻渔综合种养",
    "中药材种植",
    "肉牛养殖",
    "乡村旅游步道",
    "古村落保护",
    "防汛物资仓库",
    "应急避难场所",
    "校园食堂改造",
    "医共体建设",
    "户籍档案数字化",
    "不动产登记窗口",
    "企业开办一站式",
    "工程建设项目审批",
    "政务服务网办",
    "12345热线分中心",
    "农村集体资产清查",
    "土地承包经营权确权",
    "耕地非粮化整治",
    "秸秆综合利用",
    "畜禽粪污资源化",
    "森林防火通道",
    "护林员队伍",
    "城乡客运一体化",
    "农村公路养护",
    "桥梁安全检测",
    "自建房安全排查",
    "消防站建设",
    "平安小区",
    "全民健身中心",
    "图书馆分馆",
    "社区食堂",
    "就业驿站",
    "技能培训基地",
    "创业孵化园",
    "特色产业园",
    "农产品加工园",
    "仓储物流园",
    "马拉松赛事保障",
    "文明城市创建",
    "卫生城市复审",
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
