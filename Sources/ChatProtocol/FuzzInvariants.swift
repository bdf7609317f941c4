/// The invariants one fuzz input violated, collected rather than trapped on, so the unit tests
/// can `#expect` each one and name it, while the libFuzzer entry points still crash on the first
/// (`trap`): a crash is how libFuzzer reports a finding.
public struct FuzzInvariants {
    public private(set) var violations: [String] = []

    public init() {}

    public mutating func require(
        _ holds: Bool, _ what: @autoclosure () -> String = "", file: StaticString = #fileID, line: UInt = #line
    ) {
        if !holds { violations.append("invariant at \(file):\(line) violated\(what().isEmpty ? "" : ": \(what())")") }
    }

    public mutating func fail(_ what: String, file: StaticString = #fileID, line: UInt = #line) {
        require(false, what, file: file, line: line)
    }

    public static func trap(_ violations: [String]) {
        precondition(violations.isEmpty, violations.joined(separator: "; "))
    }
}
