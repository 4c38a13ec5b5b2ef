//! The words the generator writes with: sentence pools in the template language of
//! [`crate::grammar`], the stock sentences, and the tables the edits use.

mod boilerplate;
pub(crate) mod entities;
mod function;
mod parts;
mod problems;
pub(crate) mod synonyms;
pub(crate) mod thesaurus;
pub(crate) mod traditional;

pub(crate) use boilerplate::BOILERPLATE;

/// Wording every material must contain besides the notice's title (added per year by
/// `config::default_mandated`).
pub(crate) const MANDATED: &[&str] = &[
    "习近平新时代中国特色社会主义思想",
    "党的二十大精神",
    "党的二十届三中全会精神",
    "中央八项规定精神",
    "领导干部报告个人有关事项规定",
    "增强“四个意识”、坚定“四个自信”、做到“两个维护”",
];

/// What an aspect is about, guessed from its title, so its problems talk about it.
#[derive(Debug)]
pub(crate) struct Theme {
    pub name: &'static str,
    pub keywords: &'static [&'static str],
}

/// In order of precedence: the first theme with a keyword in the title wins, so 生活纪律
/// is about life and 政治纪律 about discipline.
pub(crate) const THEMES: &[Theme] = &[
    Theme { name: "life", keywords: &["生活纪律", "生活作风", "家风", "生活"] },
    Theme { name: "org", keywords: &["组织纪律", "组织生活", "党员意识", "组织"] },
    Theme { name: "masses", keywords: &["群众", "服务", "宗旨"] },
    Theme { name: "discipline", keywords: &["纪律", "廉洁", "规矩", "八项规定", "从严", "廉政"] },
    Theme { name: "style", keywords: &["作风", "形式主义", "官僚主义"] },
    Theme { name: "study", keywords: &["学习", "理论", "学懂", "思想"] },
    Theme { name: "politics", keywords: &["政治", "信仰", "信念", "党性", "维护", "忠诚"] },
    Theme {
        name: "work", keywords: &["工作", "作用", "担当", "能力", "本领", "履职", "先锋", "发挥", "作为"]
    },
];

/// Used when no keyword matches.
pub(crate) const DEFAULT_THEME: &str = "work";

/// Every pool of the grammar by name; `topic_<theme>` and `sym_<theme>` exist for each
/// theme.
pub(crate) const POOLS: &[(&str, &[&str])] = &[
    ("notvery", function::NOTVERY),
    ("lack", function::LACK),
    ("often", function::OFTEN),
    ("think", function::THINK),
    ("seldom", function::SELDOM),
    ("finally", function::FINALLY),
    ("few", function::FEW),
    ("mostly", function::MOSTLY),
    ("only", function::ONLY),
    ("when", function::WHEN),
    ("notice_v", function::NOTICE_V),
    ("remind", function::REMIND),
    ("opinion", function::OPINION),
    ("fault", function::FAULT),
    ("but", function::BUT),
    ("cause_v", function::CAUSE_V),
    ("handle", function::HANDLE),
    ("self", function::SELF),
    ("fellow", function::FELLOW),
    ("masses", function::MASSES),
    ("already", function::ALREADY),
    ("study_v", function::STUDY_V),
    ("check_v", function::CHECK_V),
    ("say_v", function::SAY_V),
    ("soon", function::SOON),
    ("workplace", function::WORKPLACE),
    ("delay_v", function::DELAY_V),
    ("place_unit", function::PLACE_UNIT),
    ("extent", function::EXTENT),
    ("now", function::NOW),
    ("think_deep", function::THINK_DEEP),
    ("report_v", function::REPORT_V),
    ("t", function::T),
    ("years", function::YEARS),
    ("talk", function::TALK),
    ("tf", function::TF),
    ("this_year", function::THIS_YEAR),
    ("last_year", function::LAST_YEAR),
    ("next_year_p", function::NEXT_YEAR),
    ("headline", problems::HEADLINE),
    ("defect", problems::DEFECT),
    ("gap", problems::GAP),
    ("low", problems::LOW),
    ("lead", problems::LEAD),
    ("work", problems::WORK),
    ("domain", problems::DOMAIN),
    ("task", problems::TASK),
    ("reading", problems::READING),
    ("busy", problems::BUSY),
    ("lecture", problems::LECTURE),
    ("field", problems::FIELD),
    ("channel", problems::CHANNEL),
    ("online", problems::ONLINE),
    ("issue", problems::ISSUE),
    ("client", problems::CLIENT),
    ("emergency", problems::EMERGENCY),
    ("rule", problems::RULE),
    ("paper", problems::PAPER),
    ("subtask", problems::SUBTASK),
    ("standard", problems::STANDARD),
    ("goods", problems::GOODS),
    ("topic_study", problems::TOPIC_STUDY),
    ("sym_study", problems::SYM_STUDY),
    ("topic_politics", problems::TOPIC_POLITICS),
    ("sym_politics", problems::SYM_POLITICS),
    ("topic_masses", problems::TOPIC_MASSES),
    ("sym_masses", problems::SYM_MASSES),
    ("topic_work", problems::TOPIC_WORK),
    ("sym_work", problems::SYM_WORK),
    ("topic_discipline", problems::TOPIC_DISCIPLINE),
    ("sym_discipline", problems::SYM_DISCIPLINE),
    ("topic_style", problems::TOPIC_STYLE),
    ("sym_style", problems::SYM_STYLE),
    ("topic_org", problems::TOPIC_ORG),
    ("sym_org", problems::SYM_ORG),
    ("topic_life", problems::TOPIC_LIFE),
    ("sym_life", problems::SYM_LIFE),
    ("sym_generic", problems::SYM_GENERIC),
    ("detail", problems::DETAIL),
    ("consequence", problems::CONSEQUENCE),
    ("effect", problems::EFFECT),
    ("effect2", problems::EFFECT2),
    ("superior", parts::SUPERIOR),
    ("open_notice", parts::OPEN_NOTICE),
    ("open_talk", parts::OPEN_TALK),
    ("open_check", parts::OPEN_CHECK),
    ("open_lead", parts::OPEN_LEAD),
    ("cause_head", parts::CAUSE_HEAD),
    ("cause_defect", parts::CAUSE_DEFECT),
    ("cause_body", parts::CAUSE_BODY),
    ("measure_head", parts::MEASURE_HEAD),
    ("measure_body", parts::MEASURE_BODY),
    ("matters", parts::MATTERS),
    ("matters_item", parts::MATTERS_ITEM),
    ("spouse_unit", parts::SPOUSE_UNIT),
    ("school", parts::SCHOOL),
];
