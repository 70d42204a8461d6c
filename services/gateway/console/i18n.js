// The console's words in Chinese (the default) and English. A key missing in English falls
// back to the Chinese text, so a new screen is never blank.
export const messages = {
  'zh-CN': {
    brand: '回访', loading: '加载中…', nav_day: '我的一天', nav_returns: '退货审批', logout: '退出',
    switch_to: 'English',
    login_title: '登录', login: '账号', password: '密码', sign_in: '登录', signing_in: '登录中…',
    day_title: '我的一天', bag_today: '今日任务袋', bag_empty: '今日任务袋是空的。',
    next_call: '下一个电话', next_key: '按 N 取下一个电话',
    col_due: '应呼时间', col_customer: '客户', col_purpose: '目的', col_state: '状态',
    card_title: '当前电话', purpose: '目的', phone: '电话', customer: '客户', region: '区域',
    purchases: '购买记录', contacts: '以往联系', no_contacts: '没有以往联系。',
    outcome_title: '通话结果', outcome_keys: '按 1–8 选择结果', outcome: '结果', note: '备注',
    next_date: '下次回访日期', callback_at: '回电时间', effect: '效果', order_qty: '订购数量',
    save: '保存结果', saved: '已记录：', choose_outcome: '请选择通话结果',
    'o.connected': '已接通，回访完成', 'o.no-answer': '无人接听', 'o.busy': '占线',
    'o.wrong-number': '号码错误', 'o.not-in-service': '空号/停机', 'o.refused': '拒绝再联系',
    'o.hostile': '态度恶劣', 'o.callback': '要求回电',
    'e.': '—', 'e.good': '有效', 'e.none': '无效', 'e.adverse': '不良反应',
    returns_title: '退货审批队列', returns_empty: '没有待审批的退货。', approve: '批准', reject: '驳回',
    forbidden_page: '无权访问：此页面仅限经理或管理员。你的角色是',
    not_signed_in: '请先登录', error: '出错了：', offline: '服务暂不可用，请稍后重试',
    nav_wallboard: '实时看板', wall_title: '实时看板（今日）', wall_updated: '更新于', wall_empty: '今天还没有任务。',
    col_agent: '坐席', col_open: '待呼', col_done: '已完成', col_contacts: '已联系', col_load: '任务量/容量',
    wall_alerts: '提醒', wall_no_alerts: '打开本页以来没有新提醒。', live_on: '● 实时', live_off: '○ 未连接',
    forbidden_wall: '无权访问：此页面仅限组长、主管、经理或管理员。你的角色是',
    'ev.supervisor_alert_raised': '主管提醒', 'ev.alert_raised': '警报', 'ev.complaint_escalated': '投诉升级',
  },
  en: {
    brand: 'Huifang', loading: 'Loading…', nav_day: 'My day', nav_returns: 'Return approvals', logout: 'Sign out',
    switch_to: '中文',
    login_title: 'Sign in', login: 'Login', password: 'Password', sign_in: 'Sign in', signing_in: 'Signing in…',
    day_title: 'My day', bag_today: "Today's bag", bag_empty: "Today's bag is empty.",
    next_call: 'Next call', next_key: 'Press N for the next call',
    col_due: 'Due', col_customer: 'Customer', col_purpose: 'Purpose', col_state: 'State',
    card_title: 'Current call', purpose: 'Purpose', phone: 'Phone', customer: 'Customer', region: 'Region',
    purchases: 'Purchases', contacts: 'Earlier contacts', no_contacts: 'No earlier contacts.',
    outcome_title: 'Outcome', outcome_keys: 'Keys 1–8 choose the outcome', outcome: 'Outcome', note: 'Note',
    next_date: 'Next follow-up date', callback_at: 'Call back at', effect: 'Effect', order_qty: 'Order quantity',
    save: 'Save outcome', saved: 'Logged: ', choose_outcome: 'Choose an outcome',
    'o.connected': 'Connected, follow-up done', 'o.no-answer': 'No answer', 'o.busy': 'Busy',
    'o.wrong-number': 'Wrong number', 'o.not-in-service': 'Not in service', 'o.refused': 'Refused contact',
    'o.hostile': 'Hostile', 'o.callback': 'Callback requested',
    'e.': '—', 'e.good': 'Good', 'e.none': 'None', 'e.adverse': 'Adverse',
    returns_title: 'Return approvals', returns_empty: 'No returns waiting.', approve: 'Approve', reject: 'Reject',
    forbidden_page: 'Not allowed: this page is for managers and admins. Your role is',
    not_signed_in: 'Please sign in', error: 'Error: ', offline: 'The service is unavailable; try again shortly',
    nav_wallboard: 'Wallboard', wall_title: 'Wallboard (today)', wall_updated: 'Updated', wall_empty: 'No tasks today yet.',
    col_agent: 'Agent', col_open: 'Due', col_done: 'Done', col_contacts: 'Contacts', col_load: 'Load/capacity',
    wall_alerts: 'Alerts', wall_no_alerts: 'No new alerts since this page opened.', live_on: '● live', live_off: '○ not connected',
    forbidden_wall: 'Not allowed: this page is for leads, heads, managers and admins. Your role is',
    'ev.supervisor_alert_raised': 'Supervisor alert', 'ev.alert_raised': 'Alert', 'ev.complaint_escalated': 'Complaint escalated',
  },
};

let lang = localStorage.getItem('hf_lang') === 'en' ? 'en' : 'zh-CN';

export function currentLang() { return lang; }
export function setLang(l) { lang = l; localStorage.setItem('hf_lang', l); document.documentElement.lang = l; }
export function t(key) { return messages[lang][key] ?? messages['zh-CN'][key] ?? key; }

// Fills every [data-i18n] element under root with its text.
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}
