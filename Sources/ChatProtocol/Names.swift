/// Username and room-name rules (DESIGN.md §4): 1–32 UTF-8 bytes, printable, no
/// whitespace, not starting with `*` (the server's notice sender), `#` (room syntax) or `/`
/// (commands).
///
/// "Printable" is decided per grapheme cluster: the first scalar of every cluster must be
/// visible, i.e. not whitespace, control (C0, C1), separator (U+2028/9), format (bidi
/// overrides, zero-width space, BOM) or default-ignorable (Hangul fillers, soft hyphen).
/// Later scalars of a cluster may additionally be the joiners emoji and some scripts
/// need (ZWJ, ZWNJ, variation selectors, tag characters), so "👩‍💻" and "❤️" are valid
/// names while a name made of or starting with invisible characters is not. Unassigned
/// code points are accepted so that newer emoji do not depend on the stdlib's Unicode
/// version; noncharacters are rejected.
public enum Names {
    public static let maxUsernameBytes = 32
    public static let maxRoomBytes = 32

    public static func validateUsername(_ bytes: UnsafeRawBufferPointer) -> Result<String, NameError> {
        if let error = checkBytes(bytes, maxBytes: maxUsernameBytes) { return .failure(error) }
        let name = String(decoding: bytes, as: UTF8.self)
        if let error = checkCharacters(name) { return .failure(error) }
        return .success(name)
    }

    public static func validateUsername(_ name: String) -> Result<String, NameError> {
        if let error = checkLength(name.utf8.count, maxBytes: maxUsernameBytes)
            ?? checkPrefix(name.utf8.first) ?? checkCharacters(name)
        {
            return .failure(error)
        }
        return .success(name)
    }

    /// Accepts "rust" or "#rust" and returns "rust". Case is kept for display; room
    /// lookup should use `foldForUniqueness` like usernames.
    public static func validateRoom(_ name: String) -> Result<String, NameError> {
        // Sliced by UTF-8 index: dropping a Character would also drop a combining mark
        // that follows the '#'.
        let room = name.utf8.first == 0x23 ? String(name[name.utf8.index(after: name.utf8.startIndex)...]) : name
        if let error = checkLength(room.utf8.count, maxBytes: maxRoomBytes)
            ?? checkPrefix(room.utf8.first) ?? checkCharacters(room)
        {
            return .failure(error)
        }
        return .success(room)
    }

    /// The key under which names must be unique: `lowercased()`, i.e. the Unicode default
    /// lowercase mapping, locale-independent ("Alice", "ALICE" and "alice" collide).
    /// Deliberately not full case folding, so "STRASSE" and "straße" stay distinct.
    /// Canonically equivalent spellings ("é" vs "e\u{301}") need no normalization here:
    /// Swift's String equality and hashing already treat them as equal.
    public static func foldForUniqueness(_ name: String) -> String {
        name.lowercased()
    }

    // MARK: - Rules

    static func checkBytes(_ bytes: UnsafeRawBufferPointer, maxBytes: Int) -> NameError? {
        if let error = checkLength(bytes.count, maxBytes: maxBytes) { return error }
        if !UTF8Validation.isValid(bytes) { return .invalidUTF8 }
        return checkPrefix(bytes.first)
    }

    static func checkLength(_ count: Int, maxBytes: Int) -> NameError? {
        if count == 0 { return .empty }
        if count > maxBytes { return .tooLong(count) }
        return nil
    }

    static func checkPrefix(_ first: UInt8?) -> NameError? {
        switch first {
        case 0x2A: .reservedPrefix("*")
        case 0x23: .reservedPrefix("#")
        case 0x2F: .reservedPrefix("/")
        default: nil
        }
    }

    static func checkCharacters(_ name: String) -> NameError? {
        for character in name {
            var atClusterStart = true
            for scalar in character.unicodeScalars {
                if !isAllowed(scalar, atClusterStart: atClusterStart) { return .whitespaceOrControl }
                atClusterStart = false
            }
        }
        return nil
    }

    static func isAllowed(_ scalar: Unicode.Scalar, atClusterStart: Bool) -> Bool {
        if scalar.isASCII { return scalar.value > 0x20 && scalar.value != 0x7F }
        let properties = scalar.properties
        if properties.isNoncharacterCodePoint { return false }
        var invisible = properties.isWhitespace || properties.isDefaultIgnorableCodePoint
        if !invisible {
            switch properties.generalCategory {
            case .control, .format, .surrogate, .spaceSeparator, .lineSeparator, .paragraphSeparator:
                invisible = true
            default:
                break
            }
        }
        if !invisible { return true }
        return !atClusterStart && isClusterJoiner(scalar)
    }

    /// Invisible scalars that only make sense after a visible base in the same cluster.
    static func isClusterJoiner(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200C, 0x200D: true  // ZWNJ, ZWJ
        case 0xFE00...0xFE0F, 0xE0100...0xE01EF: true  // variation selectors
        case 0xE0020...0xE007F: true  // tags (subdivision flags)
        default: false
        }
    }
}
