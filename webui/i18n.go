package webui

import (
	"fmt"
	"slices"
)

// languages the page speaks; the first is the default.
var languages = []string{"en", "zh"}

func validLang(l string) bool { return slices.Contains(languages, l) }

// MissingMarker starts the text of a key missing from a language's
// catalogue; the tests look for it in every page.
const MissingMarker = "[[missing:"

// translate returns the text of key in lang, formatted with args
// (fmt.Sprintf verbs) when there are any.
func translate(lang, key string, args ...any) string {
	m, ok := catalog[key]
	i := slices.Index(languages, lang)
	if !ok || i < 0 || m[i] == "" {
		return MissingMarker + key + "]]"
	}
	if len(args) == 0 {
		return m[i]
	}
	return fmt.Sprintf(m[i], args...)
}

// translateValue translates a value shown by the box (a state, a role, a
// level) under prefix, or returns the value itself when the catalogue has
// no text for it: values are not template strings, and a new state must
// not break the page.
func translateValue(lang, prefix, value string) string {
	m, ok := catalog[prefix+value]
	i := slices.Index(languages, lang)
	if !ok || i < 0 || m[i] == "" {
		return value
	}
	return m[i]
}

// TV translates a value; see translateValue.
func (x *rx) TV(prefix, value string) string { return translateValue(x.lang, prefix, value) }

// catalog holds every text of the page: key -> {English, Simplified Chinese}.
var catalog = map[string][2]string{
	// navigation and titles
	"nav.status":     {"Status", "状态"},
	"nav.setup":      {"Quick set-up", "快速设置"},
	"nav.settings":   {"Settings", "设置"},
	"nav.diag":       {"Diagnostics", "诊断"},
	"nav.system":     {"System", "系统"},
	"nav.users":      {"Accounts", "账户"},
	"nav.password":   {"Password", "密码"},
	"nav.logout":     {"Log out", "退出"},
	"title.login":    {"Log in", "登录"},
	"title.password": {"Change password", "修改密码"},
	"title.status":   {"Status", "状态"},
	"title.device":   {"Device and region", "设备与地区"},
	"title.ports":    {"Ports", "端口"},
	"title.accounts": {"SIP accounts", "SIP 账号"},
	"title.sip":      {"SIP profiles", "SIP 配置"},
	"title.dialplan": {"Dial plan", "拨号规则"},
	"title.setup":    {"Quick set-up", "快速设置"},
	"title.users":    {"Accounts", "账户"},
	"title.system":   {"System", "系统"},
	"title.diag":     {"Diagnostics", "诊断"},
	"title.log":      {"Log", "日志"},
	"title.error":    {"Error", "错误"},
	"message.home":   {"Back to the status page", "返回状态页"},
	"flash.saved":    {"Saved.", "已保存。"},

	// errors
	"err.mustchange":   {"Choose a new password first.", "请先设置新密码。"},
	"err.role":         {"Your account may not do this: administrators only.", "您的账户无权执行此操作：仅限管理员。"},
	"err.login":        {"Log in first.", "请先登录。"},
	"err.crossorigin":  {"Refused: the request came from another web site (cross-origin).", "已拒绝：请求来自其他网站（跨源请求）。"},
	"err.lang":         {"Unknown language: choose en or zh.", "未知语言：请选择 en 或 zh。"},
	"err.number":       {"is not a whole number", "不是整数"},
	"err.bool":         {"must be on or off (true or false)", "必须为开或关（true 或 false）"},
	"err.duration":     {"is not a duration such as 10s, 800ms or 1m30s", "不是时长，例如 10s、800ms 或 1m30s"},
	"err.option":       {"must be one of: %s", "必须为以下之一：%s"},
	"err.toolong":      {"is longer than %d bytes", "超过 %d 字节"},
	"err.gone":         {"no longer exists (the configuration changed meanwhile); reload the page", "已不存在（配置已被修改）；请刷新页面"},
	"err.type":         {"has the wrong type: send a string, number or true/false", "类型错误：请发送字符串、数字或 true/false"},
	"err.toolarge":     {"The request is too large (at most %d bytes).", "请求过大（最多 %d 字节）。"},
	"err.badrequest":   {"The request could not be read: %s", "无法读取请求：%s"},
	"err.unknownfield": {"is not a field of this page", "不是本页面的字段"},
	"err.adminonly":    {"only an administrator may change this", "仅管理员可修改此项"},
	"err.locks":        {"carrier locks can only be changed by the carrier (TR-069)", "运营商锁定只能由运营商（TR-069）修改"},
	"err.locked":       {"locked by the carrier (%s) since %s", "已被运营商（%s）锁定，自 %s 起"},
	"err.unavailable":  {"Not available on this build.", "此版本不支持该功能。"},

	// login and password
	"login.user":           {"User", "用户名"},
	"login.password":       {"Password", "密码"},
	"login.submit":         {"Log in", "登录"},
	"login.hint":           {"First login: use the password printed on the console at first boot. You will then choose your own.", "首次登录：请使用首次开机时在控制台显示的密码，之后需设置您自己的密码。"},
	"login.failed":         {"Wrong user or password.", "用户名或密码错误。"},
	"login.locked":         {"Too many failed logins: locked for %s more.", "登录失败次数过多：已锁定，剩余 %s。"},
	"password.mustchange":  {"This account still has a password it did not choose. Choose a new one to continue.", "此账户仍在使用非本人设置的密码。请设置新密码后继续。"},
	"password.policylabel": {"Password rules:", "密码规则："},
	"password.policy":      {"8 to 128 characters, no control characters, must not contain the user name, not one character repeated, different from the current password.", "8 到 128 个字符，不含控制字符，不得包含用户名，不得为同一字符重复，且不得与当前密码相同。"},
	"password.current":     {"Current password", "当前密码"},
	"password.new":         {"New password", "新密码"},
	"password.confirm":     {"New password again", "再次输入新密码"},
	"password.submit":      {"Change password", "修改密码"},
	"password.wrong":       {"This is not the current password.", "当前密码不正确。"},
	"password.mismatch":    {"The two new passwords differ.", "两次输入的新密码不一致。"},
	"password.same":        {"The new password must differ from the current one.", "新密码不得与当前密码相同。"},
	"password.bad":         {"Not accepted: %s", "不符合要求：%s"},
	"password.refused":     {"The password was not changed.", "密码未修改。"},

	// forms
	"form.refused":       {"Nothing was saved:", "未保存任何内容："},
	"form.save":          {"Save", "保存"},
	"form.seebelow":      {"The fields that need a change are marked.", "需要修改的字段已标出。"},
	"form.pwset":         {"(set — leave empty to keep)", "（已设置——留空则保持不变）"},
	"form.pwunset":       {"(not set)", "（未设置）"},
	"form.locked":        {"Locked by %s since %s: read-only here.", "自 %[2]s 起被 %[1]s 锁定：此处只读。"},
	"hint.password":      {"Never shown. Empty keeps the stored password.", "不会显示。留空则保持已保存的密码。"},
	"hint.duration":      {"e.g. 10s, 800ms, 1m30s", "例如 10s、800ms、1m30s"},
	"hint.list":          {"Separated by commas, in order of preference.", "用逗号分隔，按优先顺序排列。"},
	"sec.device":         {"Device", "设备"},
	"sec.port":           {"Port %d (%s)", "端口 %d（%s）"},
	"sec.account":        {"Port %d, extension %s", "端口 %d，分机 %s"},
	"sec.profile":        {"Profile %d: %s", "配置 %d：%s"},
	"sec.timers":         {"Line timers", "线路定时器"},
	"sec.region":         {"Country (tones and ringing)", "国家（信号音与振铃）"},
	"sec.carrier":        {"Carrier SIP server", "运营商 SIP 服务器"},
	"f.country":          {"Country", "国家"},
	"f.devicename":       {"Device name", "设备名称"},
	"f.sipport":          {"Local SIP port", "本地 SIP 端口"},
	"f.enabled":          {"Enabled", "启用"},
	"f.extension":        {"Extension", "分机号"},
	"f.portname":         {"Name", "名称"},
	"f.sipenabled":       {"SIP account enabled", "启用 SIP 账号"},
	"f.profile":          {"SIP profile", "SIP 配置"},
	"f.sipuser":          {"SIP user (number)", "SIP 用户名（号码）"},
	"f.authuser":         {"Authentication user", "认证用户名"},
	"f.password":         {"SIP password", "SIP 密码"},
	"f.displayname":      {"Display name", "显示名称"},
	"f.profilename":      {"Profile name", "配置名称"},
	"f.domain":           {"SIP domain", "SIP 域"},
	"f.registrars":       {"Registrars (primary first)", "注册服务器（主用在前）"},
	"f.proxies":          {"Outbound proxies", "出站代理"},
	"f.transport":        {"Transport", "传输协议"},
	"f.expires":          {"Registration expiry", "注册有效期"},
	"f.retrymin":         {"Retry after failure, first", "注册失败首次重试间隔"},
	"f.retrymax":         {"Retry after failure, longest", "注册失败最长重试间隔"},
	"f.keepalive":        {"NAT keep-alive", "NAT 保活方式"},
	"f.keepaliveevery":   {"Keep-alive interval", "保活间隔"},
	"f.sessionexpires":   {"Session timer (0 = off)", "会话定时器（0 = 关闭）"},
	"f.prack":            {"Reliable provisional responses (PRACK)", "可靠临时响应（PRACK）"},
	"f.codecs":           {"Codecs", "编解码器"},
	"f.ptime":            {"Packet time", "打包时长"},
	"f.dtmf":             {"DTMF method", "DTMF 方式"},
	"f.flash":            {"Hook-flash method", "拍叉方式"},
	"f.digitmap":         {"Digit map (numbers sent to the carrier)", "号码表（送往运营商的号码）"},
	"f.rtpmin":           {"RTP ports from", "RTP 端口起始"},
	"f.rtpmax":           {"RTP ports to", "RTP 端口结束"},
	"f.firstdigit":       {"First digit timeout", "首位号码超时"},
	"f.interdigit":       {"Inter-digit timeout", "位间超时"},
	"f.offhookwarning":   {"Busy tone before howler", "嗥鸣音前的忙音时长"},
	"f.howler":           {"Howler duration", "嗥鸣音时长"},
	"f.flashmin":         {"Hook-flash at least", "拍叉最短时长"},
	"f.flashmax":         {"Hook-flash at most", "拍叉最长时长"},
	"country.CN":         {"China", "中国"},
	"country.US":         {"United States", "美国"},
	"country.GB":         {"United Kingdom", "英国"},
	"country.DE":         {"Germany", "德国"},
	"setup.intro":        {"Three steps: choose the country, enter the carrier's SIP server and an account per port, save, then ring each phone with the test call button.", "三个步骤：选择国家，填写运营商 SIP 服务器和每个端口的账号，保存，然后用“测试呼叫”按钮让各话机振铃。"},
	"setup.testcall":     {"Test call", "测试呼叫"},
	"setup.testcallhint": {"Rings the phone on the port for up to 30 seconds. Lift the handset to answer; the call then ends by itself.", "让该端口的话机振铃，最长 30 秒。摘机即可接听，随后呼叫自动结束。"},
	"setup.ring":         {"Ring port %d", "端口 %d 振铃"},
	"testcall.ringing":   {"Port %d is ringing.", "端口 %d 正在振铃。"},
	"testcall.failed":    {"Port %d cannot ring now: %s", "端口 %d 暂时无法振铃：%s"},
	"sip.profiles":       {"Profiles", "配置列表"},
	"sip.add":            {"Add a profile", "添加配置"},
	"sip.remove":         {"Remove profile %s", "删除配置 %s"},
	"sip.inuse":          {"profile %d is used by an enabled account", "配置 %d 正被已启用的账号使用"},

	// status
	"status.version":     {"Firmware", "固件版本"},
	"status.board":       {"Board", "主板"},
	"status.uptime":      {"Up for", "运行时间"},
	"status.hardware":    {"Ports", "端口数量"},
	"status.alarms":      {"Alarms", "告警"},
	"status.noalarms":    {"No alarms.", "无告警。"},
	"status.portsh":      {"Ports", "端口"},
	"status.port":        {"Port", "端口"},
	"status.kind":        {"Type", "类型"},
	"status.ext":         {"Extension", "分机号"},
	"status.hook":        {"Handset", "话机"},
	"status.state":       {"Call state", "呼叫状态"},
	"status.reg":         {"Registration", "注册状态"},
	"status.reason":      {"Reason:", "原因："},
	"status.calls":       {"Calls now", "当前通话"},
	"status.nocalls":     {"No calls.", "无通话。"},
	"kind.fxs":           {"FXS (phone)", "FXS（话机）"},
	"kind.fxo":           {"FXO (line)", "FXO（外线）"},
	"hook.on-hook":       {"on-hook", "挂机"},
	"hook.off-hook":      {"off-hook", "摘机"},
	"state.idle":         {"idle", "空闲"},
	"state.dialtone":     {"dial tone", "拨号音"},
	"state.digits":       {"dialling", "拨号中"},
	"state.routing":      {"connecting", "接续中"},
	"state.ringback":     {"ringing the other side", "回铃"},
	"state.alerting":     {"ringing", "振铃"},
	"state.connected":    {"in a call", "通话中"},
	"state.signalling":   {"busy or fault tone", "忙音或故障音"},
	"state.howler":       {"howler (off-hook too long)", "嗥鸣音（摘机过久）"},
	"state.lockout":      {"locked out until hung up", "已闭锁，挂机后恢复"},
	"reg.none":           {"no SIP account", "无 SIP 账号"},
	"reg.disabled":       {"no registrar", "无注册服务器"},
	"reg.registering":    {"registering", "注册中"},
	"reg.registered":     {"registered", "已注册"},
	"reg.failed":         {"failed", "注册失败"},
	"reg.stopped":        {"stopped", "已停止"},
	"sev.critical":       {"Critical", "严重"},
	"sev.major":          {"Major", "重要"},
	"sev.minor":          {"Minor", "次要"},
	"role.administrator": {"administrator", "管理员"},
	"role.installer":     {"installer", "安装人员"},

	// accounts
	"users.name":       {"User name", "用户名"},
	"users.role":       {"Role", "角色"},
	"users.state":      {"Password", "密码"},
	"users.changed":    {"Password changed", "密码修改时间"},
	"users.mustchange": {"must be changed at next login", "下次登录时必须修改"},
	"users.ok":         {"chosen by the user", "已由用户设置"},
	"users.remove":     {"Remove", "删除"},
	"users.add":        {"Add an account", "添加账户"},
	"users.firstpw":    {"First password", "初始密码"},
	"users.hint":       {"Give the first password to the person; the first login asks for a new one. Installers cannot change accounts or TR-069 settings.", "将初始密码告知使用者；首次登录时需设置新密码。安装人员无法修改账户或 TR-069 设置。"},
	"users.addbutton":  {"Add", "添加"},
	"users.notself":    {"You cannot remove your own account.", "不能删除您自己的账户。"},

	// system
	"system.schema":       {"Configuration schema", "配置格式版本"},
	"system.revision":     {"Configuration revision", "配置修订号"},
	"system.restart":      {"Restart", "重启"},
	"system.sure":         {"Yes, I am sure", "是的，我确定"},
	"system.reboot":       {"Reboot", "重启设备"},
	"system.reset":        {"Factory reset", "恢复出厂设置"},
	"system.resethint":    {"Erases the configuration and the accounts; the box then makes a new first-boot password.", "清除配置和账户；设备随后会生成新的首次开机密码。"},
	"system.confirm":      {"Tick \"Yes, I am sure\" first.", "请先勾选“是的，我确定”。"},
	"system.failed":       {"It did not work: %s", "操作失败：%s"},
	"system.rebooting":    {"The box is restarting. Log in again in a minute.", "设备正在重启。请一分钟后重新登录。"},
	"system.resetting":    {"The configuration is erased and the box restarts. Log in with the new first-boot password from the console.", "配置已清除，设备正在重启。请使用控制台显示的新首次开机密码登录。"},
	"backup.title":        {"Configuration backup", "配置备份"},
	"backup.hint":         {"A JSON file to keep. SIP passwords are left out unless an administrator asks for them; restoring a file without them keeps the passwords the box has.", "可保存的 JSON 文件。除非管理员要求，否则不包含 SIP 密码；恢复不含密码的文件时，保留设备现有密码。"},
	"backup.download":     {"Download backup", "下载备份"},
	"backup.withpw":       {"Download with SIP passwords", "下载（含 SIP 密码）"},
	"restore.title":       {"Restore", "恢复配置"},
	"restore.hint":        {"Only a backup from this kind of board with the same number of ports, and from this firmware or an older one.", "仅限同型号主板、端口数量相同，且来自本固件或更早版本的备份。"},
	"restore.submit":      {"Restore", "恢复"},
	"restore.nofile":      {"No file was sent.", "未收到文件。"},
	"restore.notjson":     {"Not a backup file: it is not JSON (%s).", "不是备份文件：不是 JSON 格式（%s）。"},
	"restore.format":      {"Not an OpenIAD configuration backup.", "不是 OpenIAD 配置备份文件。"},
	"restore.version":     {"Backup format version %d is not known to this firmware (it reads version %d).", "本固件无法识别备份格式版本 %d（支持版本 %d）。"},
	"restore.board":       {"Refused: this backup is from board %q, this box is %q.", "已拒绝：此备份来自主板 %q，本设备为 %q。"},
	"restore.ports":       {"Refused: this backup is from a box with %d ports, this one has %d.", "已拒绝：此备份来自 %d 个端口的设备，本设备有 %d 个端口。"},
	"restore.schema":      {"Refused: this backup has configuration schema %d, written by a newer firmware (%[3]s); this firmware knows up to schema %[2]d.", "已拒绝：此备份的配置格式版本为 %d，由更新的固件（%[3]s）生成；本固件最高支持版本 %[2]d。"},
	"restore.invalid":     {"Refused: the configuration in the backup is not valid: %s", "已拒绝：备份中的配置无效：%s"},
	"restore.refused":     {"Refused: %s", "已拒绝：%s"},
	"restore.done":        {"Configuration restored (%d changes).", "配置已恢复（%d 处修改）。"},
	"upgrade.title":       {"Firmware upgrade", "固件升级"},
	"upgrade.hint":        {"Only signed images: the signature, board and version are checked before anything is written.", "仅接受已签名的固件：写入前会检查签名、主板型号和版本。"},
	"upgrade.unavailable": {"This firmware cannot check image signatures yet, so it refuses every image.", "本固件尚不能校验固件签名，因此拒绝所有固件文件。"},
	"upgrade.submit":      {"Upload", "上传"},
	"upgrade.done":        {"The image is installed; the box restarts into it.", "固件已安装，设备将重启进入新固件。"},
	"upgrade.refused":     {"Refused, nothing was written: %s", "已拒绝，未写入任何内容：%s"},
	"upgrade.unsigned":    {"Refused, nothing was written: this firmware cannot check image signatures yet, and installs only signed images. (Received %d bytes, SHA-256 %s.)", "已拒绝，未写入任何内容：本固件尚不能校验固件签名，只安装已签名的固件。（已接收 %d 字节，SHA-256 %s。）"},

	// diagnostics
	"diag.log":           {"Log viewer", "查看日志"},
	"diag.linetest":      {"Line test", "线路测试"},
	"diag.run":           {"Run", "运行"},
	"diag.check":         {"Check", "检查项"},
	"diag.result":        {"Result", "结果"},
	"diag.ok":            {"OK", "正常"},
	"diag.fault":         {"fault", "故障"},
	"diag.ping":          {"Ping", "Ping"},
	"diag.trace":         {"Traceroute", "路由跟踪"},
	"diag.host":          {"Host or address", "主机名或地址"},
	"diag.count":         {"Count", "次数"},
	"diag.from":          {"From", "来自"},
	"diag.rtt":           {"Time", "时间"},
	"diag.hop":           {"Hop", "跳"},
	"diag.rtts":          {"min / avg / max", "最小 / 平均 / 最大"},
	"diag.pingsummary":   {"%s (%s): %d sent, %d received, %d%% lost", "%s（%s）：发送 %d，接收 %d，丢失 %d%%"},
	"diag.reached":       {"%s reached.", "已到达 %s。"},
	"diag.notreached":    {"%s not reached.", "未到达 %s。"},
	"diag.badport":       {"port: %q is not a port of this box", "端口：%q 不是本设备的端口"},
	"diag.badhost":       {"host: give a host name or an IP address", "主机：请输入主机名或 IP 地址"},
	"diag.badcount":      {"count: a number from 1 to %d", "次数：1 到 %d 之间的数字"},
	"diag.resolve":       {"host: cannot resolve %s: %s", "主机：无法解析 %s：%s"},
	"diag.failed":        {"It did not work: %s", "执行失败：%s"},
	"diag.siptrace":      {"SIP trace", "SIP 跟踪"},
	"diag.siptracelater": {"The live SIP message trace is on the serial console for now (command: sip trace).", "实时 SIP 消息跟踪目前仅在串口控制台提供（命令：sip trace）。"},
	"check.battery feed": {"battery feed", "馈电"},
	"check.loop":         {"loop", "环路"},
	"check.call control": {"call control", "呼叫控制"},
	"check.extension":    {"extension", "分机号"},
	"probe.reply":        {"reply", "应答"},
	"probe.timeout":      {"no reply", "无应答"},
	"probe.unreachable":  {"unreachable", "不可达"},
	"probe.ttl-exceeded": {"TTL exceeded", "TTL 超时"},
	"log.level":          {"Level", "级别"},
	"log.show":           {"Show", "显示"},
	"log.newest":         {"%d records, newest first; refreshes by itself.", "共 %d 条，最新在前；自动刷新。"},
	"log.time":           {"Time", "时间"},
	"log.message":        {"Message", "消息"},
	"log.badlevel":       {"level: one of %s", "级别：必须为 %s 之一"},
	"log.badcount":       {"n: a number from 1 to %d", "n：1 到 %d 之间的数字"},
	"level.debug":        {"debug", "调试"},
	"level.info":         {"info", "信息"},
	"level.warn":         {"warning", "警告"},
	"level.error":        {"error", "错误"},
}
