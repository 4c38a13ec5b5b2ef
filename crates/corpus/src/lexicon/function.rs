//! Interchangeable function words by grammatical position. The frames use these
//! instead of fixed wording: each carries three or more bits of choice in one to three
//! characters, which is what keeps independent documents from sharing 13-character runs.

/// Before an adjective: 不够深入.
pub(crate) const NOTVERY: &[&str] =
    &["不够", "还不够", "不太", "不是很", "不大", "不算", "不怎么", "并不", "尚不够", "不甚", "没那么", "还不太"];

/// As a predicate: 重视不够.
pub(crate) const LACK: &[&str] = &[
    "不够",
    "不足",
    "欠缺",
    "有限",
    "偏弱",
    "不到位",
    "有所欠缺",
    "还不到位",
    "明显不足",
    "较弱",
    "打了折扣",
    "差了火候",
];

pub(crate) const OFTEN: &[&str] =
    &["往往", "常常", "总是", "多半", "时常", "经常", "大多", "一般", "通常", "习惯性地", "不时", "动辄", "每每"];

pub(crate) const THINK: &[&str] =
    &["认为", "觉得", "以为", "感到", "总想着", "心里想着", "自认为", "想当然地认为", "总觉得", "一度觉得", "曾经以为"];

pub(crate) const SELDOM: &[&str] =
    &["很少", "较少", "不大", "极少", "难得", "鲜少", "不常", "不怎么", "很难得", "少有"];

pub(crate) const FINALLY: &[&str] = &["才", "方", "这才", "之后才", "最后才", "才算", "才勉强", "方才", "后来才"];

/// After 的: 主动想办法的少.
pub(crate) const FEW: &[&str] =
    &["少", "不多", "偏少", "很少", "寥寥", "有限", "屈指可数", "少之又少", "不算多", "没几回", "为数不多", "凤毛麟角"];

pub(crate) const MOSTLY: &[&str] =
    &["多是", "大多是", "基本是", "主要是", "往往是", "大都是", "多半是", "无非是", "差不多都是", "十有八九是"];

pub(crate) const ONLY: &[&str] = &["只有", "仅有", "不过", "仅", "只", "总共只有", "满打满算只有", "算下来只有", "才"];

pub(crate) const WHEN: &[&str] = &["时", "的时候", "期间", "过程中", "当中", "之际", "那阵子", "前后"];

pub(crate) const NOTICE_V: &[&str] = &["发现", "察觉", "注意到", "了解到", "听说", "得知", "看到", "获悉"];

pub(crate) const REMIND: &[&str] = &["提醒", "指出", "说到", "点出", "提到", "批评", "直言", "指明", "提过"];

pub(crate) const OPINION: &[&str] = &["意见", "看法", "建议", "批评", "说法", "反映", "议论", "意见建议"];

pub(crate) const FAULT: &[&str] = &["问题", "短板", "不足", "漏洞", "薄弱点", "欠缺", "毛病", "差距", "弱项"];

pub(crate) const BUT: &[&str] = &["但", "可", "可是", "然而", "但是", "不过", "只是", "却"];

pub(crate) const CAUSE_V: &[&str] = &["导致", "致使", "造成", "使得", "以致", "让", "弄得", "结果是"];

pub(crate) const HANDLE: &[&str] = &["处理", "办理", "应对", "协调", "对接", "跟进", "处置", "推动"];

pub(crate) const SELF: &[&str] = &["我", "本人", "自己", "个人", "我本人", "我自己"];

pub(crate) const FELLOW: &[&str] = &["同志", "同事", "党员", "老同志", "支委", "年轻同志", "科室同事", "身边同志"];

pub(crate) const MASSES: &[&str] = &["群众", "村民", "居民", "服务对象", "办事群众", "老百姓", "基层群众", "住户"];

pub(crate) const ALREADY: &[&str] = &["已经", "早已", "早就", "已", "基本", "大体", "差不多"];

pub(crate) const STUDY_V: &[&str] = &["学习", "研读", "钻研", "精读", "通读", "细读", "研学", "学"];

pub(crate) const CHECK_V: &[&str] = &["检查", "督导", "查看", "调度", "过问", "盯办", "督办", "巡查"];

pub(crate) const SAY_V: &[&str] = &["讲", "谈", "说", "聊", "论", "讲述", "阐述"];

pub(crate) const SOON: &[&str] = &["及时", "尽快", "第一时间", "马上", "迅速", "按时", "限时"];

pub(crate) const WORKPLACE: &[&str] = &["办公室", "机关", "屋里", "会议室", "案头", "文件堆里", "电脑前"];

pub(crate) const DELAY_V: &[&str] = &["拖", "拖延", "耽搁", "延误", "推迟", "搁置", "压"];

pub(crate) const PLACE_UNIT: &[&str] = &["科室", "股室", "站所", "部门", "中心", "办公室", "服务窗口", "业务组"];

pub(crate) const EXTENT: &[&str] = &["一定程度上", "多少", "或多或少", "不同程度地", "客观上", "某种程度上", "实际上"];

pub(crate) const NOW: &[&str] = &["至今", "到现在", "目前", "眼下", "截至目前", "直到现在", "迄今"];

/// After 从理论层面: how deep one went.
pub(crate) const THINK_DEEP: &[&str] = &["去思考", "思考", "分析", "把握", "琢磨", "研究", "推敲", "想问题", "找答案"];

pub(crate) const REPORT_V: &[&str] = &["报告", "反映", "汇报", "报备", "说明", "通报", "请示"];

/// An optional time or place at the start of a clause (empty about one time in five:
/// an option both of two documents take often is what makes them share text).
pub(crate) const T: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "{month}{n}日",
    "{month}底",
    "{month}末",
    "[周一|周二|周三|周四|周五]例会后",
    "[年初|年中|年底]{unit}[部署|安排]后",
    "[这|那]{n}个月里",
    "{n}月上旬",
    "{n}月下旬",
    "第{n}周",
    "[早|晚]{n}点",
    "{month}[上旬|中旬|下旬]某天",
    "[去年|今年]{n}月以后",
    "在{proj}[上|中]",
    "[对|就]{proj}",
    "同{person}[一起|搭档]时",
    "由{person}[牵头|陪同]时",
    "在{place}[现场|驻点]时",
    "{date}[下午|上午|晚上]",
    "[迎检|督查|考核]前后",
    "[换届|调岗|轮岗]以后",
    "[周末|节假日]加班时",
    "{month}",
    "{month}以来",
    "{month}以后",
    "{month}前后",
    "{month}中旬",
    "{month}下旬",
    "{month}初",
    "{date}前后",
    "{date}那次",
    "去年{month}",
    "今年{month}",
    "有一段时间",
    "那阵子",
    "在{place}",
    "到{place}时",
    "上半年",
    "下半年",
    "年初",
    "年中",
    "[一|二|三|四]季度",
    "入冬后",
    "汛期",
    "春节前后",
    "国庆前后",
    "{month}{n}号前后",
    "[前|近]{n}个月",
    "最近{n}周",
    "连续{n}周",
    "{n2}天里",
];

/// The same for plans.
pub(crate) const TF: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "{month}{n}日前",
    "{month}上旬",
    "{month}中旬前",
    "[第|前]{n}周内",
    "[每月|每季]第[一|二|三|四]周",
    "{n2}天之内",
    "[结合|围绕|针对]{proj}",
    "[会同|联合|请]{person}",
    "在{place}",
    "[明年|来年]{month}",
    "[年初|年中|年底]前",
    "{month}前",
    "{month}起",
    "从{month}开始",
    "下半年",
    "年内",
    "每季度",
    "每月",
    "今后",
    "下一步",
    "[一|二|三|四]季度",
    "{month}底前",
    "{n}个月内",
    "{n2}天内",
    "汛期前",
    "年底前",
    "春节前",
    "开春后",
];

pub(crate) const THIS_YEAR: &[&str] = &[
    "今年",
    "这一年",
    "年内",
    "本年度",
    "一年来",
    "全年",
    "{year}年",
    "{year}年度",
    "过去一年",
    "这一年里",
    "{year}年全年",
];

pub(crate) const LAST_YEAR: &[&str] =
    &["去年", "上一年", "{prev_year}年", "{prev_year}年度", "前一年", "上年度", "上年"];

pub(crate) const NEXT_YEAR: &[&str] = &["明年", "{next_year}年", "下一年度", "来年", "新的一年", "{next_year}年度"];

/// Years of service: 2–39.
pub(crate) const YEARS: &[&str] = &["{n}", "1{n}", "2{n}", "3{n}"];

/// How a talk is called.
pub(crate) const TALK: &[&str] = &["谈心谈话", "交心谈心", "谈心", "个别谈话", "面对面交流", "一对一谈话", "谈心交流"];
