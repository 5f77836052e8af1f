"""Words the generated rows are made of: Chinese names, security names, case subjects."""

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_NAME_CHARACTERS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强晓明海燕玉兰宇浩然子涵欣怡梓轩雨桐一诺思远嘉怡俊杰文博天佑雅婷"

SECURITY_WORDS = ["银行", "证券", "保险", "电力", "能源", "科技", "医药", "汽车", "地产", "化工", "钢铁", "食品",
                  "传媒", "电子", "通信", "机械", "航空", "物流", "建材", "农业", "环保", "新材", "半导", "软件"]
SECURITY_PREFIXES = ["华夏", "中信", "招商", "平安", "东方", "国泰", "海通", "广发", "兴业", "长江", "南方", "北方",
                     "东海", "西部", "中原", "天山", "宝钢", "上海", "深圳", "江苏", "浙江", "四川", "湖南", "山东"]

#: Subjects by case kind; the generator picks one and sometimes adds the account number.
SUBJECTS = {
    "ticket": ["无法登录融资融券交易系统", "查询信用账户对账单", "修改预留手机号码", "融资利率咨询", "担保品划转未到账",
               "两融合同续签咨询", "交易软件报错", "申请开通科创板信用交易", "账户资料变更", "利息计算疑问"],
    "dispute": ["对强制平仓价格有异议", "利息扣收金额有误", "未收到追保通知", "平仓顺序有争议", "手续费收取投诉",
                "对维持担保比例计算有疑问", "12386转办投诉"],
    "extension": ["融资负债展期申请", "合约到期展期", "融券合约展期申请"],
    "relief": ["申请暂缓平仓", "申请延长追保期限", "特殊情况减免罚息"],
    "margin_call": ["维持担保比例低于平仓线", "维持担保比例低于警戒线", "追加担保物通知"],
}
CATEGORIES = {
    "ticket": ["technical", "account", "transfer", "fees", "contract", "other"],
    "dispute": ["liquidation", "fees", "interest", "service", "notice"],
    "extension": ["contract"],
    "relief": ["liquidation", "interest"],
    "margin_call": ["close_out", "warning"],
}
DESCRIPTIONS = [
    "客户来电反映上述问题，请尽快核实处理并回复客户。",
    "客户在网上营业厅提交，附件为相关截图。",
    "请核对信用账户流水及合同约定后答复。",
    "系统监控自动生成。",
    "",
]
PROPOSALS = {
    "resolve": "经核实，按合同约定处理，向客户说明计算过程并退还差额。",
    "approve": "客户资信良好，同意按申请处理。",
    "decline": "不符合展期或减免条件，拟不同意。",
    "liquidate": "追保期限已过且客户未补足担保物，拟执行强制平仓。",
}
