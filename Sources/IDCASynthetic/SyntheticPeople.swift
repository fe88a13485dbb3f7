/// Invented but realistic names for the demo registry and tests: common surnames weighted the way
/// they occur, given names of one or two characters, and a share of minority names written with
/// the middle dot (艾力·买买提).
public struct SyntheticPeople: Sendable {
    public init() {}

    /// The most common surnames, most frequent first; earlier ones are drawn more often.
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let givenCharacters = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文红玉梅志辉海燕鹏飞宇轩浩然子涵欣怡思雨佳琪梓萱一诺晨曦俊杰嘉怡雨桐博文天佑心怡")
    static let minorityGiven = ["艾力", "阿依古丽", "买买提", "古丽娜尔", "努尔", "热依拉", "阿不都", "迪丽"]
    static let minorityFamily = ["买买提", "吐尔逊", "艾山", "阿不来提", "玉素甫", "司马义"]

    /// A person's name.
    public func name(using random: inout some RandomNumberGenerator) -> String {
        if Int.random(in: 0..<50, using: &random) == 0 {
            return Self.minorityGiven.randomElement(using: &random)! + "·" + Self.minorityFamily.randomElement(using: &random)!
        }
        // Squaring a uniform draw skews towards the front of the list, as real surname frequencies do.
        let draw = Double.random(in: 0..<1, using: &random)
        let surname = Self.surnames[Int(draw * draw * Double(Self.surnames.count))]
        var given = String(Self.givenCharacters.randomElement(using: &random)!)
        if Int.random(in: 0..<4, using: &random) != 0 { given.append(Self.givenCharacters.randomElement(using: &random)!) }
        return String(surname) + given
    }

    static let cityPrefixes = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "天津", "重庆", "苏州"]
    static let wordmarks = ["华信", "远景", "博达", "瑞丰", "中科", "新航", "锦程", "恒通", "星辰", "云帆", "鼎盛", "泰和", "汇智", "启明"]
    static let industries = ["科技", "信息技术", "网络科技", "文化传媒", "贸易", "教育咨询", "电子商务", "软件"]
    static let forms = ["有限公司", "股份有限公司", "有限责任公司"]

    /// An organization name like 北京华信网络科技有限公司.
    public func organizationName(using random: inout some RandomNumberGenerator) -> String {
        Self.cityPrefixes.randomElement(using: &random)! + Self.wordmarks.randomElement(using: &random)!
            + Self.industries.randomElement(using: &random)! + Self.forms.randomElement(using: &random)!
    }

    /// A mobile number (11 digits, 13x–19x).
    public func phone(using random: inout some RandomNumberGenerator) -> String {
        var number = "1" + String(Int.random(in: 3...9, using: &random))
        for _ in 0..<9 { number += String(Int.random(in: 0...9, using: &random)) }
        return number
    }
}
