/// Tag key grammar (IRCv3 message-tags "Format"):
/// `['+'] [<vendor> '/'] <key_name>`, key_name = letters, digits, '-'; vendor = a host
/// name (letters, digits, '-', '.').
enum IRCTagKey {
    static func isValid(_ key: UnsafeRawBufferPointer) -> Bool {
        var body = key[...]
        if body.first == IRCBytes.plus { body = body.dropFirst() }
        var name = body
        if let slash = body.firstIndex(of: IRCBytes.slash) {
            let vendor = body[..<slash]
            guard !vendor.isEmpty, vendor.allSatisfy({ isNameByte($0) || $0 == IRCBytes.dot }) else { return false }
            name = body[(slash &+ 1)...]
        }
        return !name.isEmpty && name.allSatisfy(isNameByte)
    }

    static func isValid(_ key: String) -> Bool {
        var copy = key
        return copy.withUTF8 { isValid(UnsafeRawBufferPointer($0)) }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        IRCBytes.isLetter(byte) || IRCBytes.isDigit(byte) || byte == IRCBytes.minus
    }
}
