/// The IRCv3 `server-time` tag value: `YYYY-MM-DDThh:mm:ss.sssZ`, UTC, millisecond
/// precision (ircv3 server-time, "Format"). Written straight into bytes without
/// Foundation or a formatter: the chat-line fast path stamps every message.
public enum IRCServerTime {
    /// Bytes of a formatted timestamp.
    public static let length = 24

    /// Appends the timestamp for `milliseconds` since the Unix epoch (UTC).
    /// Negative times are clamped to the epoch; years past 9999 to 9999-12-31.
    @inlinable
    public static func append(millisecondsSince1970 milliseconds: Int64, to buffer: inout [UInt8]) {
        let clamped = min(max(milliseconds, 0), 253_402_300_799_999)
        let millis = Int(clamped % 1000)
        let seconds = Int(clamped / 1000)
        let (year, month, day) = civil(daysSince1970: seconds / 86400)
        let secondOfDay = seconds % 86400
        appendDigits(year, 4, &buffer)
        buffer.append(0x2D)
        appendDigits(month, 2, &buffer)
        buffer.append(0x2D)
        appendDigits(day, 2, &buffer)
        buffer.append(0x54)  // T
        appendDigits(secondOfDay / 3600, 2, &buffer)
        buffer.append(0x3A)
        appendDigits(secondOfDay / 60 % 60, 2, &buffer)
        buffer.append(0x3A)
        appendDigits(secondOfDay % 60, 2, &buffer)
        buffer.append(0x2E)
        appendDigits(millis, 3, &buffer)
        buffer.append(0x5A)  // Z
    }

    public static func format(millisecondsSince1970 milliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        append(millisecondsSince1970: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Milliseconds since the Unix epoch of a `YYYY-MM-DDThh:mm:ss.sssZ` timestamp (the format
    /// `append` writes; CHATHISTORY `timestamp=` references use it), nil for anything else,
    /// including impossible dates such as February 30.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == length, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
              b[19] == 0x2E, b[23] == 0x5A
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var n = 0
            for byte in b[from..<(from + count)] {
                guard byte >= IRCBytes.zero, byte <= IRCBytes.zero + 9 else { return nil }
                n = n * 10 + Int(byte - IRCBytes.zero)
            }
            return n
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), let millis = number(20, 3),
              year >= 1970, (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysSince1970(year: year, month: month, day: day)
        guard civil(daysSince1970: days) == (year, month, day) else { return nil }
        return Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + Int64(millis)
    }

    /// The day count of a proleptic Gregorian date (Hinnant, days_from_civil), for years >= 1970.
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Proleptic Gregorian date of a day count (H. Hinnant, "chrono-Compatible Low-Level
    /// Date Algorithms", civil_from_days), for days >= 0.
    @inlinable
    static func civil(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    @inlinable
    static func appendDigits(_ value: Int, _ width: Int, _ buffer: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor &*= 10 }
        var rest = value
        while divisor > 0 {
            buffer.append(IRCBytes.zero &+ UInt8(truncatingIfNeeded: rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
