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
