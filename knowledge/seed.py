"""The knowledge base shipped with the product (and with `seed_demo`): categories linked to the
case categories, and articles in Chinese and English on what clients ask about most. The figures
are the firm's defaults (PRODUCT.md); a contract may name other lines.

`knowledge_seed()` creates what is missing and leaves what a supervisor edited alone."""

from django.db import transaction

from knowledge.models import Article, Category

# code, Chinese name, English name, linked case categories, position
CATEGORIES = [
    ("ratio", "维持担保比例", "Maintenance ratio", "margin,account,trading,haircut", 10),
    ("top_up", "追加担保与还款", "Topping up and repaying", "margin,more_time,staged_repayment,trading", 20),
    ("interest", "利息与费用", "Interest and fees", "fees,interest_fee", 30),
    ("liquidation", "强制平仓", "Forced liquidation", "liquidation,margin", 40),
    ("contract", "合约与展期", "Contract and extension", "extension,extension_refused,account", 50),
    ("relief", "纾困申请", "Relief requests", "more_time,staged_repayment,margin", 60),
    ("disputes", "投诉与争议", "Complaints and disputes", "interest_fee,liquidation,notice,extension_refused,haircut", 70),
    ("notices", "通知与提醒", "Notices and reminders", "notice,technical,account", 80),
]

ARTICLES = [
    {
        "slug": "maintenance-ratio-and-lines",
        "category": "ratio",
        "audience": Article.Audience.PUBLIC,
        "keywords": "维持担保比例, 担保比例, 关注线, 警戒线, 平仓线, 提取线, maintenance ratio, collateral ratio, "
                    "warning line, close-out line, ratio",
        "title_zh": "什么是维持担保比例？150%、140%、130%、300% 各代表什么",
        "body_zh": """维持担保比例是衡量信用账户风险的核心指标：

维持担保比例 =（现金 + 信用账户内全部证券市值 + 其他担保物）÷（融资负债 + 融券数量 × 当前价格 + 利息及费用）

证券按全额市值计算，不打折算率（折算率只影响可用保证金）。没有负债时没有比例，页面显示为“无负债”。

我们按以下默认线监控（以您的合同约定为准）：
- 150% 关注线：比例低于此线时，我们会提醒您关注风险。
- 140% 警戒线：低于此线时，我们会通知您补充担保物或还款，并由专人联系您。
- 130% 平仓线：低于此线时进入追保，须在 T+2 个交易日 15:00 前将比例恢复到 140%，否则可能被强制平仓。
- 300% 提取线：比例高于此线时，可以提取超出部分的现金或证券。

为避免比例在某条线附近来回波动时反复提醒，比例须回到该线以上 2 个百分点后，提醒才会解除。

举例：资产 1,400,000 元，负债 1,000,000 元，维持担保比例 = 140%。""",
        "title_en": "What the maintenance collateral ratio is, and what 150%, 140%, 130% and 300% mean",
        "body_en": """The maintenance collateral ratio is the key measure of a credit account's risk:

ratio = (cash + market value of all securities in the credit account + other collateral) ÷ (financing debt + shares lent × current price + interest and fees)

Securities count at their full market value, with no haircut (haircuts only affect the margin available for new trades). With no debt there is no ratio: the account shows "no liability".

We watch these default lines (your contract may name others):
- 150% attention line: below it, we remind you to keep an eye on the risk.
- 140% warning line: below it, we ask you to add collateral or repay, and a member of staff calls you.
- 130% close-out line: below it, a margin call is opened. The ratio must be back to 140% by 15:00 on the second trading day (T+2), or the position may be liquidated.
- 300% withdrawal line: above it, you may withdraw the cash or securities in excess.

So that a ratio hovering around a line does not set off alert after alert, an alert clears only once the ratio is 2 percentage points back above the line.

Example: assets of 1,400,000 and debt of 1,000,000 give a ratio of 140%.""",
    },
    {
        "slug": "how-to-top-up-or-repay",
        "category": "top_up",
        "audience": Article.Audience.PUBLIC,
        "keywords": "追加担保物, 追保, 补仓, 还款, 卖券还款, 转入资金, top up, top-up, repay, add collateral, "
                    "sell to repay, margin call",
        "title_zh": "如何追加担保物或还款：补多少现金、卖多少证券",
        "body_zh": """收到追保通知后，您可以用两种方式把维持担保比例恢复到目标线 t（默认 140%）。设资产为 A、负债为 D：

1. 转入现金（或划入担保证券）：需补充 C = t·D − A。
2. 卖券还款：需卖出 S =（t·D − A）÷（t − 1）市值的证券，并用所得资金偿还融资负债。

卖券还款需要卖出的金额比直接补现金多，因为卖出证券既减少了负债，也减少了资产。

举例：A = 1,250,000 元，D = 1,000,000 元，比例 125%，目标 140%：
- 转入现金：C = 1.4 × 1,000,000 − 1,250,000 = 150,000 元；
- 卖券还款：S = 150,000 ÷ 0.4 = 375,000 元。卖出后资产 875,000、负债 625,000，比例恰好 140%。

追保通知中已写明按您账户计算的两个金额。资金须在截止时间（T+2 个交易日 15:00）前到账；如确有困难，请尽早提交纾困申请。""",
        "title_en": "How to top up or repay: how much cash to add, or how much to sell",
        "body_en": """After a margin call you can bring the ratio back to the target line t (140% by default) in two ways. With assets A and debt D:

1. Add cash (or transfer eligible securities in): add C = t·D − A.
2. Sell securities and repay: sell S = (t·D − A) ÷ (t − 1) worth of securities and repay financing debt with the proceeds.

Selling takes more than adding cash, because a sale lowers your debt and your assets at the same time.

Example: A = 1,250,000 and D = 1,000,000 (a ratio of 125%), target 140%:
- add cash: C = 1.4 × 1,000,000 − 1,250,000 = 150,000;
- sell and repay: S = 150,000 ÷ 0.4 = 375,000. Afterwards assets are 875,000 and debt 625,000: exactly 140%.

The margin call notice gives both amounts computed for your account. The money must arrive by the deadline (15:00 on the second trading day, T+2); if that is hard for you, file a relief request early.""",
    },
    {
        "slug": "how-interest-is-computed",
        "category": "interest",
        "audience": Article.Audience.PUBLIC,
        "keywords": "利息, 融资利息, 计息, 利率, 结息, 罚息, interest, rate, accrual, settlement, penalty interest, fees",
        "title_zh": "融资利息如何计算",
        "body_zh": """融资利息按日计提：

利息 = 融资本金 × 年利率 × 天数 ÷ 360

- 按自然日计算，周末和节假日也计息。
- 借款当日计息，还款当日不计息：每天按当日收市后的融资负债余额计提。
- 利率调整时，自调整生效日起按新利率分段计算。
- 合约到期后仍未偿还的负债为逾期负债，除正常利息外，每日另按合同约定的罚息率（默认每日万分之五）计收罚息。

利息每月结息一次，结息日为每月 20 日：上一结息日至本结息日前一天的利息在结息日合计入账（按分四舍五入一次）。结息日前 14、7、1 天我们会提醒您，请在账户中留足资金。

举例：融资 100,000 元，年利率 8.35%，使用 10 天：利息 = 100,000 × 8.35% × 10 ÷ 360 ≈ 231.94 元。

您可以在信用账户页面查看每天的计息明细。""",
        "title_en": "How interest is computed",
        "body_en": """Financing interest accrues day by day:

interest = principal × annual rate × days ÷ 360

- Calendar days count, weekends and holidays included.
- The day you draw counts, the day you repay does not: each day accrues on the financing debt outstanding at that day's close.
- When the rate changes, interest is computed in segments, at the new rate from the day it takes effect.
- Debt not repaid by the contract's maturity is overdue: besides the interest, each day adds penalty interest at the rate in your contract (0.05% a day by default).

Interest is settled once a month, on the 20th: the interest from the last settlement date up to the day before is posted on the settlement date, rounded to the cent once. We remind you 14, 7 and 1 days before each settlement date; please keep enough cash in the account.

Example: 100,000 borrowed at 8.35% a year for 10 days: interest = 100,000 × 8.35% × 10 ÷ 360 ≈ 231.94.

Your credit account page lists every day's interest.""",
    },
    {
        "slug": "what-happens-at-liquidation",
        "category": "liquidation",
        "audience": Article.Audience.PUBLIC,
        "keywords": "平仓, 强制平仓, 强平, 追保期限, T+2, 回访, liquidation, forced liquidation, close-out, "
                    "deadline, liquidated",
        "title_zh": "强制平仓会发生什么",
        "body_zh": """当维持担保比例低于 130% 平仓线时：

1. 我们开立追保事项，立即通过短信和邮件通知您，并写明需补充的现金或需卖出的证券金额（见《如何追加担保物或还款》）。
2. 追保期限为 T+2 个交易日 15:00（遇节假日顺延）。期间专人会电话联系您。
3. 期限内比例回到 140% 以上（并超过 2 个百分点的缓冲），追保自动解除。
4. 期限届满仍未恢复的，由风控专员提出平仓方案，并须由另一名风控专员复核批准（双人复核）后，才会强制卖出证券偿还负债。如合同约定了立即平仓线，比例低于该线时可能不等期限届满即平仓。

平仓后，客服会对您进行回访，说明平仓的时点、价格和结果，并了解您的意见。如您对平仓的时点或价格有异议，可以提出投诉（见《如何提出投诉或争议》）。

如果您暂时无法按期补足，请在期限届满前提交纾困申请，申请延长追保期限或分期还款。""",
        "title_en": "What happens at liquidation",
        "body_en": """When the ratio falls below the 130% close-out line:

1. We open a margin call and tell you at once by SMS and e-mail, with the cash to add or the securities to sell (see "How to top up or repay").
2. The deadline is 15:00 on the second trading day (T+2), holidays not counted. A member of staff calls you meanwhile.
3. If the ratio is back above 140% (and past the 2-point band) by then, the margin call closes by itself.
4. If not, a risk officer proposes a forced liquidation and a second risk officer must approve it (four eyes) before any securities are sold to repay the debt. If your contract names an immediate close-out line, a ratio below it may be liquidated before the deadline.

After a liquidation we call you back (a return visit) to explain when and at what prices it was done, and to hear what you think. If you disagree with the timing or the prices, you can file a complaint (see "How to file a complaint or dispute").

If you cannot top up in time, file a relief request before the deadline: more time to top up, or staged repayment.""",
    },
    {
        "slug": "contract-extension-conditions",
        "category": "contract",
        "audience": Article.Audience.CLIENTS,
        "keywords": "展期, 合约展期, 到期, 合约到期, 延期, extension, extend, maturity, contract term, roll over",
        "title_zh": "合约到期与展期条件",
        "body_zh": """融资融券合约期限为 6 个月。到期前 14、7、1 天我们会提醒您；到期未偿还的负债为逾期负债，须计收罚息。

您可以申请展期，每次展期 6 个月。申请须同时满足：
- 在合约到期前 15 个自然日内提出；
- 利息及费用已结清；
- 维持担保比例高于 145%（或合同约定的展期线）；
- 账户没有未结的追保事项。

申请由客服经理审核并提出意见，再由另一名主管复核决定（双人复核，提出人不能自己批准）。批准后合约到期日顺延 6 个月，我们会通过短信、邮件和客户门户的消息告知结果；未获批准的，也会告知您。

请在客户门户“提交申请”中选择“展期申请”并注明对应的信用账户。""",
        "title_en": "Contract maturity and the conditions for an extension",
        "body_en": """A margin contract runs for 6 months. We remind you 14, 7 and 1 days before it matures; debt not repaid by then is overdue and bears penalty interest.

You can apply for an extension of 6 months at a time. All of these must hold:
- you apply in the 15 calendar days before the contract matures;
- interest and fees are paid;
- the maintenance ratio is above 145% (or the extension line in your contract);
- the account has no open margin call.

A member of staff reviews the request and proposes a decision; a supervisor who did not propose it decides (four eyes). Once approved, the maturity moves 6 months later. We tell you the outcome by SMS, e-mail and in your portal messages, whether approved or not.

In the client portal, choose "New request", then "Extension request", and name the credit account.""",
    },
    {
        "slug": "relief-requests",
        "category": "relief",
        "audience": Article.Audience.CLIENTS,
        "keywords": "纾困, 纾困申请, 延长追保期限, 延长期限, 分期还款, 延期补仓, 资金在途, 隔离, 住院, 困难, relief, "
                    "more time, staged repayment, instalments, hardship, quarantine, in transit",
        "title_zh": "纾困申请：延长追保期限或分期还款",
        "body_zh": """在极端行情或特殊情况下（如隔离、住院、资金在途），如果您无法在追保期限内补足担保物，可以提交纾困申请：

- 延长追保期限：适用于已进入追保（比例低于平仓线、有截止时间）的账户。默认延长 3 个交易日，您可以在申请中注明需要的交易日数（最多 10 个）。
- 分期还款：将融资负债分几期偿还，请在申请中写明每期的日期和金额。

申请由客服审核后提出意见，再由另一名主管复核决定。批准后，追保截止时间相应顺延，我们会通过短信、邮件和客户门户的消息告知您结果和新的截止时间；未获批准的也会告知。

请尽早在截止时间之前提交，并附上相关证明材料。纾困不免除利息，延长期间仍按日计息。""",
        "title_en": "Relief requests: more time to top up, or staged repayment",
        "body_en": """In an extreme market or in special circumstances (quarantine, a stay in hospital, money in transit), if you cannot top up by the margin call's deadline you can file a relief request:

- More time to top up: for an account under a margin call (below the close-out line, with a deadline). By default the deadline moves 3 trading days; you may ask for the number of trading days you need (up to 10).
- Staged repayment: repay the financing debt in instalments; give the date and amount of each.

A member of staff reviews the request and proposes a decision; another supervisor decides. Once approved, the margin call's deadline moves accordingly and we tell you the outcome and the new deadline by SMS, e-mail and in your portal messages; we also tell you if it is declined.

File it as early as you can, before the deadline, with any documents that support it. Relief does not stop interest: it keeps accruing day by day.""",
    },
    {
        "slug": "how-to-file-a-dispute",
        "category": "disputes",
        "audience": Article.Audience.PUBLIC,
        "keywords": "投诉, 争议, 申诉, 12386, 调解, 投资者服务中心, complaint, dispute, mediation, hotline, appeal",
        "title_zh": "如何提出投诉或争议（含 12386 热线）",
        "body_zh": """如您对利息费用计算、平仓时点或价格、通知未收到、展期被拒、折算率或标的调整等有异议，可以通过以下方式提出投诉：

- 客户门户：提交“争议/投诉”，写明账户、时间和您的诉求；
- 电话：拨打公司客服热线；
- 中国证监会 12386 服务热线：转来的投诉同样由我们登记处理。

我们的承诺：1 个工作日内确认受理，处理期间定期告知进展，15 个工作日内给出处理意见。处理方案须经主管审核后才会提供给您，您可以接受或不接受。

如不接受处理结果，可以申请调解，例如向中证中小投资者服务中心申请纠纷调解。

投诉处理完毕后，我们会进行回访，并请您对服务进行评价。""",
        "title_en": "How to file a complaint or dispute (and the 12386 hotline)",
        "body_en": """If you disagree about how interest or fees were calculated, the timing or prices of a forced liquidation, a notice you did not receive, a refused extension, or a change of haircut or eligible securities, you can complain:

- in the client portal: file a "Dispute / complaint" naming the account, when it happened and what you ask for;
- by phone, on our service hotline;
- through the CSRC 12386 hotline: complaints transferred from it are registered and handled by us in the same way.

Our commitment: we acknowledge a complaint within 1 working day, keep you updated while we look into it, and give our answer within 15 working days. A proposed resolution is checked by a supervisor before it reaches you; you may accept it or not.

If you do not accept the outcome, you can ask for mediation, for example at the China Securities Investor Services Center.

Once a complaint is resolved, we call you back and ask you to rate our service.""",
    },
    {
        "slug": "notices-and-quiet-hours",
        "category": "notices",
        "audience": Article.Audience.PUBLIC,
        "keywords": "通知, 短信, 邮件, 提醒, 免打扰, 没收到通知, 联系方式, notice, notification, sms, e-mail, email, "
                    "quiet hours, reminder, did not receive",
        "title_zh": "我们会发送哪些通知？免打扰时段如何设置",
        "body_zh": """我们会通过短信、电子邮件和客户门户通知您：
- 维持担保比例低于关注线、警戒线、平仓线的提醒；
- 追保通知（需补充的金额和截止时间）及追保解除；
- 合约到期、结息日前 14、7、1 天的提醒；
- 您的服务请求、投诉和申请的处理进展与结果，以及满意度评价链接。

您可以选择接收通知的渠道，并设置免打扰时段（默认 22:00 至次日 08:00）。免打扰时段内的一般通知会在时段结束后发送，不会丢失；追保、平仓线以下的提醒、强制平仓等紧急通知不受免打扰和渠道设置限制，会立即发送。

请确保手机号码和邮箱地址准确有效；如变更，请及时通过客服更新。如未收到应收的通知，可以提出投诉。""",
        "title_en": "Which notices we send, and quiet hours",
        "body_en": """We notify you by SMS, e-mail and in the client portal:
- when the ratio falls below the attention, warning or close-out line;
- of a margin call (the amount to add and the deadline) and when it is lifted;
- 14, 7 and 1 days before your contract matures and before each interest settlement date;
- of progress and outcomes of your tickets, complaints and requests, with a link to rate our service.

You can choose the channels you want and set quiet hours (22:00 to 08:00 by default). Ordinary notices falling in your quiet hours are sent when they end, never dropped; urgent ones (margin calls, alerts below the close-out line, forced liquidation) ignore quiet hours and channel choices and go out at once.

Please keep your mobile number and e-mail address up to date with our service desk. If a notice you should have had never arrived, you can file a complaint.""",
    },
    {
        "slug": "return-visits-and-ratings",
        "category": "disputes",
        "audience": Article.Audience.CLIENTS,
        "keywords": "回访, 满意度, 评价, 评分, return visit, rating, satisfaction, survey, feedback",
        "title_zh": "回访与满意度评价",
        "body_zh": """为了解您的感受并改进服务：
- 投诉处理完毕后、强制平仓后，客服会对您进行电话回访；高净值客户每季度还会有专属顾问回访。
- 服务请求、投诉或申请办结后，我们会发送一个评价链接，您无需登录即可打分（1 至 5 分）并留下意见。每个事项只能评价一次，链接 30 天内有效。

您的评价会直接用于考核和改进我们的服务。""",
        "title_en": "Return visits and rating our service",
        "body_en": """To hear how we did and to improve:
- after a complaint is resolved, and after a forced liquidation, we call you back (a return visit); high-net-worth clients also hear from their advisor every quarter.
- when a ticket, complaint or request is resolved, we send you a link to rate it from 1 to 5 and leave a comment, without logging in. Each case can be rated once, and the link works for 30 days.

Your ratings are used to assess and improve our service.""",
    },
]


@transaction.atomic
def knowledge_seed() -> int:
    """Create the shipped categories and articles that do not exist yet; returns how many articles
    were created."""
    categories = {}
    for code, name, name_en, case_categories, position in CATEGORIES:
        categories[code], _created = Category.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "case_categories": case_categories, "position": position})
    created = 0
    for item in ARTICLES:
        fields = {key: value for key, value in item.items() if key not in ("slug", "category")}
        _article, was_created = Article.objects.get_or_create(
            slug=item["slug"], defaults={**fields, "category": categories[item["category"]]})
        created += was_created
    return created
