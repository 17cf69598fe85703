// The board's own texts in English, Simplified and Traditional Chinese (tests/board checks that
// every key has all three). The language: `?lang=` if given, else the browser's first language
// that one of them fits (zh-TW, zh-HK and zh-MO read Traditional), else English.

export const LANGUAGES = ["en", "zh-Hans", "zh-Hant"];

export const MESSAGES = {
  "board.title": { en: "Ticket board", "zh-Hans": "工单看板", "zh-Hant": "工單看板" },
  "column.NEW": { en: "New", "zh-Hans": "新建", "zh-Hant": "新建" },
  "column.ACKNOWLEDGED": { en: "Acknowledged", "zh-Hans": "已受理", "zh-Hant": "已受理" },
  "column.IN_PROGRESS": { en: "In progress", "zh-Hans": "处理中", "zh-Hant": "處理中" },
  "column.ESCALATED": { en: "Escalated", "zh-Hans": "联合会诊", "zh-Hant": "聯合會診" },
  "column.RESOLVED": { en: "Resolved", "zh-Hans": "已解决", "zh-Hant": "已解決" },
  "column.empty": { en: "Nothing here", "zh-Hans": "暂无", "zh-Hant": "暫無" },
  "column.more": { en: "+{n} more", "zh-Hans": "另有 {n} 条", "zh-Hant": "另有 {n} 條" },
  "status.REOPENED": { en: "Reopened", "zh-Hans": "已重开", "zh-Hant": "已重開" },
  "kind.INQUIRY": { en: "Inquiry", "zh-Hans": "咨询", "zh-Hant": "諮詢" },
  "kind.COMPLAINT": { en: "Complaint", "zh-Hans": "投诉", "zh-Hant": "投訴" },
  "kind.QUALITY_ISSUE": { en: "Quality issue", "zh-Hans": "质量问题", "zh-Hant": "品質問題" },
  "kind.SUGGESTION": { en: "Suggestion", "zh-Hans": "建议", "zh-Hant": "建議" },
  "kind.SERVICE_REQUEST": { en: "Service request", "zh-Hans": "服务请求", "zh-Hant": "服務請求" },
  "priority.LOW": { en: "Low", "zh-Hans": "低", "zh-Hant": "低" },
  "priority.NORMAL": { en: "Normal", "zh-Hans": "普通", "zh-Hant": "普通" },
  "priority.HIGH": { en: "High", "zh-Hans": "高", "zh-Hant": "高" },
  "priority.URGENT": { en: "Urgent", "zh-Hans": "紧急", "zh-Hant": "緊急" },
  "sla.ON_TRACK": { en: "On track", "zh-Hans": "正常", "zh-Hant": "正常" },
  "sla.AT_RISK": { en: "At risk", "zh-Hans": "临近超时", "zh-Hant": "臨近逾時" },
  "sla.BREACHED": { en: "Breached", "zh-Hans": "已超时", "zh-Hant": "已逾時" },
  "sla.MET": { en: "Met", "zh-Hans": "已达标", "zh-Hant": "已達標" },
  "sla.response": { en: "Reply", "zh-Hans": "响应", "zh-Hant": "回應" },
  "sla.resolution": { en: "Fix", "zh-Hans": "解决", "zh-Hant": "解決" },
  "sla.left": { en: "{phase} in {time}", "zh-Hans": "{phase}剩余 {time}", "zh-Hant": "{phase}剩餘 {time}" },
  "sla.over": { en: "{phase} {time} late", "zh-Hans": "{phase}超时 {time}", "zh-Hant": "{phase}逾時 {time}" },
  "card.unassigned": { en: "Unassigned", "zh-Hans": "未分配", "zh-Hant": "未分派" },
  "strip.title": { en: "Handoffs and escalations", "zh-Hans": "交接与升级", "zh-Hant": "交接與升級" },
  "strip.empty": { en: "No announcements yet", "zh-Hans": "暂无通告", "zh-Hant": "暫無通告" },
  "event.ORDER_HANDED_OFF": { en: "Order handed off to service", "zh-Hans": "订单已移交服务部", "zh-Hant": "訂單已移交服務部" },
  "event.ORDER_CONFIRMED": { en: "Order confirmed by service", "zh-Hans": "服务部已确认订单", "zh-Hant": "服務部已確認訂單" },
  "event.ORDER_RETURNED": { en: "Order returned to marketing", "zh-Hans": "订单已退回市场部", "zh-Hant": "訂單已退回市場部" },
  "event.ORDER_CANCELLED": { en: "Order cancelled", "zh-Hans": "订单已取消", "zh-Hant": "訂單已取消" },
  "event.TICKET_ESCALATED": { en: "Escalated to a joint consultation", "zh-Hans": "已升级联合会诊", "zh-Hant": "已升級聯合會診" },
  "event.ESCALATION_CLOSED": { en: "Joint consultation closed", "zh-Hans": "联合会诊已结束", "zh-Hant": "聯合會診已結束" },
  "event.SLA_AT_RISK": { en: "SLA at risk", "zh-Hans": "时限即将到期", "zh-Hant": "時限即將到期" },
  "event.SLA_BREACHED": { en: "SLA breached", "zh-Hans": "时限已超", "zh-Hant": "時限已超" },
  "connection.connecting": { en: "Connecting…", "zh-Hans": "正在连接…", "zh-Hant": "正在連線…" },
  "connection.connected": { en: "Live", "zh-Hans": "实时", "zh-Hant": "即時" },
  "connection.waiting": { en: "Offline — retrying in {s} s", "zh-Hans": "已断开，{s} 秒后重试", "zh-Hant": "已中斷，{s} 秒後重試" },
  "filters.all": { en: "All tickets", "zh-Hans": "全部工单", "zh-Hant": "全部工單" },
  "filters.invalid": { en: "Ignored filters: {list}", "zh-Hans": "已忽略的筛选：{list}", "zh-Hant": "已忽略的篩選：{list}" },
  "department.MARKETING": { en: "Marketing", "zh-Hans": "市场部", "zh-Hant": "市場部" },
  "department.SERVICE": { en: "Service", "zh-Hans": "服务部", "zh-Hant": "服務部" },
  "signin.title": { en: "Sign in this board", "zh-Hans": "看板登录", "zh-Hant": "看板登入" },
  "signin.help": {
    en: "Enter a board API key. It stays in this browser only.",
    "zh-Hans": "请输入看板 API 密钥，仅保存在本浏览器中。",
    "zh-Hant": "請輸入看板 API 金鑰，僅保存在本瀏覽器中。",
  },
  "signin.label": { en: "Board key", "zh-Hans": "看板密钥", "zh-Hant": "看板金鑰" },
  "signin.submit": { en: "Sign in", "zh-Hans": "登录", "zh-Hant": "登入" },
  "signin.refused": {
    en: "This key was refused: check it and try again.",
    "zh-Hans": "密钥无效，请检查后重试。",
    "zh-Hant": "金鑰無效，請檢查後重試。",
  },
  "signin.unreachable": {
    en: "The server cannot be reached; try again shortly.",
    "zh-Hans": "无法连接服务器，请稍后再试。",
    "zh-Hant": "無法連線伺服器，請稍後再試。",
  },
  "revoked.title": { en: "This board is signed out", "zh-Hans": "看板已退出登录", "zh-Hant": "看板已登出" },
  "revoked.body": {
    en: "Its key was revoked or is no longer valid. Ask an administrator for a new board key.",
    "zh-Hans": "密钥已被撤销或失效，请向管理员申请新的看板密钥。",
    "zh-Hant": "金鑰已被撤銷或失效，請向管理員申請新的看板金鑰。",
  },
  "revoked.again": { en: "Sign in again", "zh-Hans": "重新登录", "zh-Hant": "重新登入" },
};

export function chooseLanguage(requested, browserLanguages) {
  const pick = (tag) => {
    const t = String(tag || "").toLowerCase();
    if (t === "en" || t.startsWith("en-")) return "en";
    if (t.startsWith("zh")) return /hant|-tw|-hk|-mo/.test(t) ? "zh-Hant" : "zh-Hans";
    return null;
  };
  const exact = LANGUAGES.find((l) => l.toLowerCase() === String(requested || "").toLowerCase());
  if (exact) return exact;
  for (const tag of [requested, ...(browserLanguages || [])]) {
    const found = pick(tag);
    if (found) return found;
  }
  return "en";
}

// A translator for one language: t("sla.left", {phase: …, time: …}).
export function translator(language) {
  return (key, values = {}) => {
    const entry = MESSAGES[key];
    const text = entry ? (entry[language] ?? entry.en) : key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  };
}
