"""The fixed ingredients of the demo: people, securities and what clients and staff write.
Texts come in pairs (Chinese, English); a client's language picks one."""

# bandit B105: demo only, printed by seed_demo and in the README
DEMO_PASSWORD = "demo-pass-2026"  # nosec B105

#: username, roles, queues, (last name, first name), preferred language
STAFF = [
    ("agent", ["agent"], ["general", "disputes", "risk"], ("李", "静怡"), "zh-hans"),  # calls on margin calls too
    ("advisor", ["advisor"], ["hnw"], ("王", "志远"), "zh-hans"),
    ("team_lead", ["team_lead"], ["general", "disputes", "risk", "hnw"], ("赵", "敏"), "zh-hans"),
    ("supervisor", ["supervisor"], [], ("刘", "建国"), "zh-hans"),
    ("supervisor2", ["supervisor"], [], ("陈", "慧"), "en"),
    ("risk_officer", ["risk_officer"], ["risk"], ("孙", "浩"), "zh-hans"),
    ("risk_officer2", ["risk_officer"], ["risk"], ("周", "婷"), "zh-hans"),
    ("auditor", ["auditor"], [], ("吴", "磊"), "zh-hans"),
]
CLIENT_USERNAME = "client"
ADMIN_USERNAME = "admin"

CLIENT_NAMES = [
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷",
    "徐强", "孙丽", "胡军", "朱琳", "高峰", "林涛", "何晓东", "郭勇", "马超", "罗燕",
    "梁志强", "宋佳", "郑浩", "谢雨桐", "韩冰", "唐明", "冯雪", "于海洋", "董丽华", "萧然",
    "程俊", "曹颖", "袁野", "邓超群", "许晴", "傅国栋", "沈玉兰", "曾凡", "彭建华", "吕思远",
    "苏婉清", "卢鑫", "蒋文博", "蔡晓梅", "贾明辉", "丁一", "魏振华", "薛蕾", "叶子轩", "阎立新",
]
#: Administrative division codes (the first six digits of a resident ID number).
REGIONS = ["110101", "110105", "310104", "310115", "440305", "440106", "330106", "320102", "510107", "420106"]
PHONE_PREFIXES = ["138", "139", "136", "135", "186", "189", "177", "158", "150", "131"]

#: symbol, name, exchange, price, haircut (collateral conversion rate)
SECURITIES = [
    ("600519", "贵州茅台", "SSE", "1452.80", "0.70"),
    ("601318", "中国平安", "SSE", "56.37", "0.70"),
    ("600036", "招商银行", "SSE", "42.15", "0.70"),
    ("000001", "平安银行", "SZSE", "11.62", "0.70"),
    ("000858", "五粮液", "SZSE", "124.58", "0.65"),
    ("300750", "宁德时代", "SZSE", "268.40", "0.60"),
    ("002594", "比亚迪", "SZSE", "101.35", "0.60"),
    ("600900", "长江电力", "SSE", "28.46", "0.70"),
    ("601012", "隆基绿能", "SSE", "18.27", "0.50"),
    ("000333", "美的集团", "SZSE", "74.92", "0.65"),
    ("600030", "中信证券", "SSE", "28.73", "0.65"),
    ("601398", "工商银行", "SSE", "7.21", "0.70"),
    ("600276", "恒瑞医药", "SSE", "56.88", "0.60"),
    ("601899", "紫金矿业", "SSE", "19.84", "0.60"),
    ("000651", "格力电器", "SZSE", "41.96", "0.65"),
    ("002415", "海康威视", "SZSE", "30.12", "0.60"),
    ("600887", "伊利股份", "SSE", "28.35", "0.65"),
    ("000568", "泸州老窖", "SZSE", "128.66", "0.60"),
    ("300059", "东方财富", "SZSE", "23.47", "0.55"),
    ("688981", "中芯国际", "SSE", "89.52", "0.50"),
    ("510300", "沪深300ETF", "SSE", "4.0120", "0.90"),
]
#: Securities lent out for short selling (融券) in the demo.
SHORTABLE = ["510300", "601318", "600036", "601398"]

# --- what clients write ----------------------------------------------------------------------
#: category → [(subject zh, description zh, subject en, description en)]
TICKETS = {
    "account": [
        ("信用账户资料变更", "我的手机号码换了，想更新信用账户预留的联系方式，请问需要带什么材料？",
         "Update contact details on my credit account",
         "My phone number changed. How do I update the number on my credit account, and what documents do I need?"),
        ("查询担保证券清单", "想查一下目前哪些证券可以作为担保品，以及各自的折算率。",
         "Eligible collateral list",
         "Which securities are currently accepted as collateral, and at what conversion rate?"),
        ("申请提高授信额度", "最近资产增加了，希望把融资授信额度从100万提高到200万。",
         "Raise my credit limit",
         "My assets have grown; I would like to raise the financing credit limit from 1m to 2m."),
        ("信用账户对账单", "请把上个月的信用账户对账单发到我的邮箱。",
         "Credit account statement", "Please e-mail me last month's statement for my credit account."),
    ],
    "trading": [
        ("融券卖出失败", "今天下单融券卖出沪深300ETF，系统提示券源不足，什么时候能有券？",
         "Short sale rejected",
         "My short sale of the CSI 300 ETF was rejected today for lack of lendable shares. When will shares be"
         " available?"),
        ("卖券还款没有生效", "昨天卖券还款，但融资负债没有减少，是不是操作有误？",
         "Sell-to-repay did not reduce my debt",
         "I sold shares to repay yesterday but my financing debt did not go down. Did I do something wrong?"),
        ("担保品划转", "想把普通账户的股票划转到信用账户做担保品，怎么操作？",
         "Transfer collateral", "How do I move shares from my ordinary account into the credit account as collateral?"),
        ("直接还款与卖券还款的区别", "请问直接还款和卖券还款在利息计算上有什么不同？",
         "Direct repayment vs sell-to-repay",
         "How do direct repayment and sell-to-repay differ in how interest is charged?"),
    ],
    "fees": [
        ("融资利息计算疑问", "本月扣的融资利息比我自己算的多，想要一份利息明细。",
         "Interest charge question",
         "The financing interest charged this month is higher than my own calculation. Please send me the breakdown."),
        ("佣金费率咨询", "信用账户的交易佣金是多少？和普通账户一样吗？",
         "Commission rate",
         "What is the trading commission on the credit account? Is it the same as on my ordinary account?"),
        ("融资利率能否下调", "我是老客户，融资余额较大，能否申请下调融资年利率？",
         "Lower financing rate",
         "I have been a client for years with a large balance. Can my annual financing rate be lowered?"),
    ],
    "technical": [
        ("App无法登录信用账户", "手机App登录信用账户时一直提示“系统繁忙”，普通账户可以正常登录。",
         "Cannot log in to the credit account in the app",
         "The mobile app keeps saying 'system busy' when I log in to the credit account; the ordinary account works."),
        ("维持担保比例显示异常", "App上的维持担保比例和柜台说的不一样，哪个是准的？",
         "Ratio shown differently",
         "The maintenance ratio in the app differs from what the branch told me. Which one is right?"),
        ("短信通知收不到", "最近收不到任何融资融券的短信提醒，请帮忙检查。",
         "Not receiving text alerts", "I have stopped receiving any margin-trading text alerts. Please check."),
    ],
}
DISPUTES = {
    "interest_fee": [
        ("对融资利息计收有异议", "我在还款当天也被计收了利息，按合同还款日不应计息，请核实并退还。",
         "Interest charged on the repayment day",
         "I was charged interest on the day I repaid; under the contract the repayment day is not charged. Please"
         " check and refund."),
        ("罚息收取不合理", "我的负债只逾期了一天就被收了罚息，而且金额明显偏高。",
         "Penalty interest is unreasonable",
         "I was charged penalty interest after being overdue by only one day, and the amount looks far too high."),
    ],
    "liquidation": [
        ("强制平仓时间和价格有异议", "你们在开盘集合竞价就平仓了我的持仓，成交价格远低于当天均价，我认为不合理。",
         "Forced liquidation timing and price",
         "My position was liquidated in the opening auction at a price far below the day's average. I consider"
         " this unfair."),
        ("平仓前未给足追保时间", "追保通知说T+2日补足，但T+1日就被平仓了。",
         "Liquidated before the top-up deadline",
         "The margin call gave me until T+2 to top up, but my shares were sold on T+1."),
    ],
    "notice": [
        ("未收到追保通知", "我没有收到任何追加担保物的通知就被平仓了，电话和短信都没有。",
         "No margin call notice received",
         "I was liquidated without receiving any margin call, neither by phone nor by text."),
    ],
    "extension_refused": [
        ("展期申请被拒有异议", "我的合约展期申请被拒绝了，没有说明理由，我的征信和资产都没有问题。",
         "Extension refused without reason",
         "My contract extension was refused without any reason, although my credit and assets are fine."),
    ],
    "haircut": [
        ("折算率下调未提前告知", "持有的股票折算率突然从0.6下调到0.3，导致可用保证金不足，事先没有通知。",
         "Conversion rate cut without notice",
         "The conversion rate of my shares was cut from 0.6 to 0.3 without notice, leaving me short of available"
         " margin."),
    ],
}
EXTENSIONS = [
    ("合约展期申请", "我的融资合约即将到期，申请展期6个月，目前维持担保比例正常。",
     "Contract extension request",
     "My financing contract matures soon; I apply for a 6-month extension. My ratio is healthy."),
    ("申请融资负债展期", "资金暂时不便偿还到期负债，申请展期，可提供收入证明。",
     "Extend my financing debt",
     "I cannot repay the maturing debt right now and apply for an extension; I can provide proof of income."),
]
RELIEFS = {
    "more_time": [
        ("申请延长追保期限", "本周资金还在途，申请把追加担保物的期限延长两个交易日。",
         "More time to top up", "My funds are still in transit this week; I ask for two more trading days to top up."),
    ],
    "staged_repayment": [
        ("申请分期偿还负债", "近期市场下跌，申请将融资负债分三期偿还，避免被强制平仓。",
         "Staged repayment",
         "After the recent fall I ask to repay the financing debt in three instalments rather than be liquidated."),
    ],
}

# --- what staff write --------------------------------------------------------------------------
REPLIES = [
    ("您好，已收到您的问题，我们正在核实，预计今天内给您答复。",
     "Hello, we have received your question and are looking into it; you will hear from us today."),
    ("您好，经核实，相关操作已经为您处理完毕，请登录App查看。",
     "Hello, we have checked and taken care of it; please log in to the app to see the result."),
    ("您好，这个问题需要您补充身份证正反面照片，方便时请上传。",
     "Hello, to proceed we need photos of both sides of your ID card; please upload them when convenient."),
    ("您好，利息按实际使用天数计算，年利率除以360，明细已发送到您的邮箱。",
     "Hello, interest is charged per calendar day at the annual rate divided by 360; the breakdown is in your e-mail."),
]
ASK_FOR_INFO = [
    ("请提供相关交易的成交回报截图，以便我们进一步核查。", "Please send a screenshot of the trade confirmation so we can check further."),
    ("请确认您方便接听电话的时间，我们的专员会与您联系。", "Please tell us when you can take a call; our specialist will ring you."),
]
CLIENT_REPLIES = [
    ("材料已经上传，请查收。", "I have uploaded the documents."),
    ("好的，明天上午10点以后都可以。", "Fine, any time after 10 am tomorrow."),
    ("谢谢，问题已经解决了。", "Thanks, that solved it."),
]
RESOLUTIONS = [
    ("已按客户要求完成变更并电话回访确认。", "Changed as requested; confirmed with the client by phone."),
    ("已解答客户疑问，客户表示理解。", "Question answered; the client is satisfied."),
    ("系统问题已由技术部修复，客户确认恢复正常。", "IT fixed the fault; the client confirms it works again."),
]
INTERNAL_NOTES = [
    "客户情绪较激动，回复时注意措辞。",
    "已与运营部核对流水，数据无误。",
    "该客户上月也有类似咨询，建议主动回访。",
    "已提交技术部工单，等待排查结果。",
    "Checked the ledger with operations: figures agree.",
    "Client prefers e-mail over phone calls.",
]
#: What the agent proposes (zh, en), by the dispute's category: it answers what the client complained
#: of, and reaches the client in their language (the reply quotes it).
DISPUTE_PROPOSALS = {
    "interest_fee": [
        ("经核查，还款日确被误计一天利息，建议退还多收利息并致歉。",
         "The repayment day was charged by mistake: refund the overcharged interest and apologise."),
        ("罚息按合同约定的利率计收，金额无误，建议向客户书面说明计算过程。",
         "Penalty interest was charged at the contract's rate and is correct: explain the calculation in writing."),
    ],
    "liquidation": [
        ("平仓执行符合合同约定和交易规则，建议维持原处理，向客户详细解释平仓依据。",
         "The liquidation followed the contract and the trading rules: keep it and explain the grounds to the "
         "client."),
        ("平仓时点早于通知的截止时间，建议按截止时间的收盘价补偿差价。",
         "The liquidation came before the notified deadline: compensate the difference to the deadline's close."),
    ],
    "notice": [
        ("通知记录显示短信发送失败，建议补偿客户部分损失并修复通知渠道。",
         "The records show the text message failed: compensate part of the loss and fix the channel."),
    ],
    "extension_refused": [
        ("展期拒绝理由未告知客户，建议书面说明理由，并在符合条件时重新受理展期申请。",
         "The reasons for refusing the extension were not given: send them in writing and take a new request "
         "once the account qualifies."),
    ],
    "haircut": [
        ("折算率调整已按规定公告，但未单独通知客户，建议致歉并完善个别通知。",
         "The conversion-rate change was published but not sent to the client: apologise and notify individually."),
    ],
}
#: A request's proposals (zh, en), by kind: approvals claim nothing about the account's figures,
#: which the page shows beside them.
REQUEST_PROPOSALS_APPROVE = {
    "extension": [("客户已提交收入证明，信用记录良好，建议同意展期。",
                   "The client sent proof of income and has a clean record: approve the extension.")],
    "relief": [("客户已提交资金在途证明，还款计划可行，建议同意。",
                "The client sent proof of funds in transit and a workable plan: approve.")],
}
REQUEST_PROPOSALS_DECLINE = {
    "extension": [("客户近期多次逾期，建议不予展期。", "Repeated overdue debt recently: decline the extension.")],
    "relief": [("客户未能提供资金来源证明，建议不予同意。", "No proof of where the money will come from: decline.")],
}
#: The reasons sent to the client (zh, en), by kind.
DECLINE_REASONS = {
    "extension": [("不符合展期条件：近期有逾期负债。", "The contract does not qualify for an extension: recent overdue "
                                                   "debt."),
                  ("未提供所需材料。", "The documents we asked for were not provided.")],
    "relief": [("未提供资金来源证明。", "No proof of where the money will come from was provided."),
               ("未提供所需材料。", "The documents we asked for were not provided.")],
}
#: How many proposals and reasons the demo draws among (as many as it always did: the rest of its
#: draws, and so the demo data, stay the same).
DISPUTE_PROPOSAL_DRAWS, REQUEST_PROPOSAL_DRAWS, DECLINE_REASON_DRAWS = 4, 3, 3
CANCEL_REASONS = [("客户来电表示问题已自行解决。", "The client called to say the problem solved itself."),
                  ("重复提交的工单。", "Duplicate ticket.")]
MEDIATION_NOTES = ["客户不接受处理方案，已告知可向中证中小投资者服务中心申请调解。",
         "Client rejects the outcome; referred to the investor services centre (12386) for mediation."]
REJECTIONS = [("我不接受这个处理结果，损失应由公司承担。", "I do not accept this outcome; the firm should bear the loss.")]
