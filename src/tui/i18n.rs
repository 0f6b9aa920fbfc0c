//! Every string the TUI shows, in English and Chinese, in one place.

/// Interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `--lang`, else `$LANG`/`$LC_ALL` starting with `zh`, else English.
    #[must_use]
    pub fn pick(flag: Option<&str>) -> Self {
        match flag {
            Some("zh") => Self::Zh,
            Some(_) => Self::En,
            None => {
                let env = std::env::var("LC_ALL")
                    .ok()
                    .filter(|v| !v.is_empty())
                    .or_else(|| std::env::var("LANG").ok())
                    .unwrap_or_default();
                if env.starts_with("zh") {
                    Self::Zh
                } else {
                    Self::En
                }
            }
        }
    }

    #[must_use]
    pub const fn strings(self) -> &'static Strings {
        match self {
            Self::En => &EN,
            Self::Zh => &ZH,
        }
    }
}

/// The UI text of one language.
#[derive(Debug)]
pub struct Strings {
    /// Separator after a speaker's name or a label.
    pub colon: &'static str,
    pub library: &'static str,
    pub in_progress: &'static str,
    pub recent: &'static str,
    pub search: &'static str,
    pub all: &'static str,
    pub language: &'static str,
    pub orientation: &'static str,
    pub kind: &'static str,
    pub no_scripts: &'static str,
    pub no_sessions: &'static str,
    pub script_errors: &'static str,
    pub nodes: &'static str,
    pub choice_points: &'static str,
    pub iae_items: &'static str,
    pub choices_short: &'static str,
    pub iae_short: &'static str,
    pub choose_mode: &'static str,
    pub mode_gae: &'static str,
    pub mode_iae: &'static str,
    pub mode_both: &'static str,
    pub scenario: &'static str,
    pub characters: &'static str,
    pub you: &'static str,
    pub goal: &'static str,
    pub private: &'static str,
    pub public: &'static str,
    pub enters: &'static str,
    pub your_reply: &'static str,
    pub press_enter_begin: &'static str,
    pub press_enter_more: &'static str,
    pub confirm_hint: &'static str,
    pub choice_point: &'static str,
    pub item: &'static str,
    pub question: &'static str,
    pub answer_recorded: &'static str,
    pub decision_stored: &'static str,
    pub the_end: &'static str,
    pub outcome: &'static str,
    pub success: &'static str,
    pub partial: &'static str,
    pub failure: &'static str,
    pub unlabelled: &'static str,
    pub dead_end: &'static str,
    pub finished_hint: &'static str,
    pub items_done: &'static str,
    pub quit_confirm: &'static str,
    pub yes_no: &'static str,
    pub ask_name: &'static str,
    pub ask_name_hint: &'static str,
    pub help_title: &'static str,
    pub help_close: &'static str,
    pub store_error: &'static str,
    pub resumed: &'static str,
    pub not_in_library: &'static str,
    pub annotator: &'static str,
    pub correct: &'static str,
    pub incorrect: &'static str,
    pub narrator: &'static str,
    pub too_small: &'static str,
    pub section_global: &'static str,
    pub section_home: &'static str,
    pub section_play: &'static str,
}

pub static EN: Strings = Strings {
    colon: ": ",
    library: "Library",
    in_progress: "In progress — Enter resumes",
    recent: "Recent sessions",
    search: "Search",
    all: "all",
    language: "language",
    orientation: "orientation",
    kind: "kind",
    no_scripts: "No script matches. Esc clears the search.",
    no_sessions: "none",
    script_errors: "scripts with errors (run socius check)",
    nodes: "nodes",
    choice_points: "choice points",
    iae_items: "IAE items",
    choices_short: "choices",
    iae_short: "IAE",
    choose_mode: "Play how?",
    mode_gae: "Goal achievement (GAE): walk the story",
    mode_iae: "Interpersonal ability (IAE): answer the items",
    mode_both: "Both: each item, then the story choice",
    scenario: "Scenario",
    characters: "Characters",
    you: "you",
    goal: "Goal",
    private: "Private",
    public: "Public",
    enters: "enters",
    your_reply: "Your reply",
    press_enter_begin: "Press Enter to begin.",
    press_enter_more: "Enter: next line",
    confirm_hint: "Enter confirms; a confirmed answer is final.",
    choice_point: "Choice",
    item: "Item",
    question: "Question",
    answer_recorded: "Answer saved.",
    decision_stored: "Saved.",
    the_end: "The end",
    outcome: "Outcome",
    success: "success — the goal is reached",
    partial: "partial — the goal is partly reached",
    failure: "failure — the goal is missed",
    unlabelled: "no outcome label in the script",
    dead_end: "the script has no option here (a dead end)",
    finished_hint: "The session is complete and saved. Esc returns to the library.",
    items_done: "All items answered.",
    quit_confirm: "Quit? Everything confirmed is saved; you can resume later.",
    yes_no: "y: quit   n: stay",
    ask_name: "Your annotator id",
    ask_name_hint: "Asked once and remembered. Enter to save.",
    help_title: "Keys",
    help_close: "Esc or ? closes this help",
    store_error: "Could not save",
    resumed: "Resumed where you left off.",
    not_in_library: "The script of this session is not in the library (add its folder on the command line)",
    annotator: "annotator",
    correct: "correct",
    incorrect: "incorrect",
    narrator: "narration",
    too_small: "Terminal too small: at least 40×12, please.",
    section_global: "Everywhere",
    section_home: "Library",
    section_play: "Playing",
};

pub static ZH: Strings = Strings {
    colon: "：",
    library: "剧本库",
    in_progress: "进行中（Enter 继续）",
    recent: "最近的会话",
    search: "搜索",
    all: "全部",
    language: "语言",
    orientation: "社会取向",
    kind: "类型",
    no_scripts: "没有匹配的剧本。Esc 清除搜索。",
    no_sessions: "无",
    script_errors: "个剧本有错误（运行 socius check）",
    nodes: "节点",
    choice_points: "选择点",
    iae_items: "IAE 题",
    choices_short: "选择",
    iae_short: "题",
    choose_mode: "选择模式",
    mode_gae: "目标达成（GAE）：走完故事",
    mode_iae: "人际能力（IAE）：逐题作答",
    mode_both: "两者：先答题，再做故事选择",
    scenario: "场景",
    characters: "人物",
    you: "你",
    goal: "目标",
    private: "私密信息",
    public: "公开信息",
    enters: "登场",
    your_reply: "你的回应",
    press_enter_begin: "按 Enter 开始。",
    press_enter_more: "Enter：下一句",
    confirm_hint: "按 Enter 确认；确认后不可更改。",
    choice_point: "选择",
    item: "题目",
    question: "问题",
    answer_recorded: "答案已保存。",
    decision_stored: "已保存。",
    the_end: "结局",
    outcome: "结果",
    success: "成功：达成目标",
    partial: "部分达成目标",
    failure: "失败：未达成目标",
    unlabelled: "剧本中此结局没有标注",
    dead_end: "剧本在此处没有选项（死路）",
    finished_hint: "会话已完成并保存。Esc 返回剧本库。",
    items_done: "所有题目已作答。",
    quit_confirm: "退出？已确认的内容都已保存，之后可以继续。",
    yes_no: "y：退出   n：留下",
    ask_name: "你的标注者 ID",
    ask_name_hint: "只问一次，会被记住。按 Enter 保存。",
    help_title: "按键",
    help_close: "Esc 或 ? 关闭帮助",
    store_error: "保存失败",
    resumed: "已从上次中断处继续。",
    not_in_library: "该会话的剧本不在剧本库中（请在命令行中加入它所在的文件夹）",
    annotator: "标注者",
    correct: "正确",
    incorrect: "错误",
    narrator: "旁白",
    too_small: "终端太小：至少需要 40×12。",
    section_global: "全局",
    section_home: "剧本库",
    section_play: "游玩",
};

use super::keymap::Action;

/// What an action does, for the help screen and the status bar.
#[must_use]
pub const fn describe(lang: Lang, action: Action) -> &'static str {
    match (lang, action) {
        (Lang::En, Action::Pick(_)) => "select option 1–9",
        (Lang::En, Action::Confirm) => "confirm / open / next line",
        (Lang::En, Action::Up) => "move up / scroll up",
        (Lang::En, Action::Down) => "move down / scroll down",
        (Lang::En, Action::PageUp) => "scroll a page up",
        (Lang::En, Action::PageDown) => "scroll a page down",
        (Lang::En, Action::Help) => "show or hide this help",
        (Lang::En, Action::Quit) => "quit (asks first during a session)",
        (Lang::En, Action::Back) => "back / close / clear search",
        (Lang::En, Action::RevealAll) => "reveal all lines of this node",
        (Lang::En, Action::Search) => "search titles, ids and text",
        (Lang::En, Action::FilterLanguage) => "filter by language",
        (Lang::En, Action::FilterOrientation) => "filter by orientation",
        (Lang::En, Action::FilterKind) => "filter by kind",
        (Lang::En, Action::SwitchPane) => "switch library / sessions",
        (Lang::Zh, Action::Pick(_)) => "选择选项 1–9",
        (Lang::Zh, Action::Confirm) => "确认 / 打开 / 下一句",
        (Lang::Zh, Action::Up) => "上移 / 向上滚动",
        (Lang::Zh, Action::Down) => "下移 / 向下滚动",
        (Lang::Zh, Action::PageUp) => "向上翻页",
        (Lang::Zh, Action::PageDown) => "向下翻页",
        (Lang::Zh, Action::Help) => "显示或隐藏帮助",
        (Lang::Zh, Action::Quit) => "退出（会话中会先确认）",
        (Lang::Zh, Action::Back) => "返回 / 关闭 / 清除搜索",
        (Lang::Zh, Action::RevealAll) => "显示本节点全部台词",
        (Lang::Zh, Action::Search) => "搜索标题、ID 和文本",
        (Lang::Zh, Action::FilterLanguage) => "按语言筛选",
        (Lang::Zh, Action::FilterOrientation) => "按社会取向筛选",
        (Lang::Zh, Action::FilterKind) => "按类型筛选",
        (Lang::Zh, Action::SwitchPane) => "切换剧本库 / 会话",
    }
}

/// A one- or two-word label of an action for the status bar.
#[must_use]
pub const fn hint(lang: Lang, action: Action) -> &'static str {
    match (lang, action) {
        (Lang::En, Action::Pick(_)) => "select",
        (Lang::En, Action::Confirm) => "confirm",
        (Lang::En, Action::Up | Action::Down) => "move",
        (Lang::En, Action::PageUp | Action::PageDown) => "scroll",
        (Lang::En, Action::Help) => "help",
        (Lang::En, Action::Quit) => "quit",
        (Lang::En, Action::Back) => "back",
        (Lang::En, Action::RevealAll) => "show all",
        (Lang::En, Action::Search) => "search",
        (Lang::En, Action::FilterLanguage) => "language",
        (Lang::En, Action::FilterOrientation) => "orientation",
        (Lang::En, Action::FilterKind) => "kind",
        (Lang::En, Action::SwitchPane) => "sessions",
        (Lang::Zh, Action::Pick(_)) => "选择",
        (Lang::Zh, Action::Confirm) => "确认",
        (Lang::Zh, Action::Up | Action::Down) => "移动",
        (Lang::Zh, Action::PageUp | Action::PageDown) => "滚动",
        (Lang::Zh, Action::Help) => "帮助",
        (Lang::Zh, Action::Quit) => "退出",
        (Lang::Zh, Action::Back) => "返回",
        (Lang::Zh, Action::RevealAll) => "全部显示",
        (Lang::Zh, Action::Search) => "搜索",
        (Lang::Zh, Action::FilterLanguage) => "语言",
        (Lang::Zh, Action::FilterOrientation) => "取向",
        (Lang::Zh, Action::FilterKind) => "类型",
        (Lang::Zh, Action::SwitchPane) => "会话",
    }
}
