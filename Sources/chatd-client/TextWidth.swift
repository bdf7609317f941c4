/// Terminal column widths, a small `wcwidth(3)` for one grapheme cluster at a time.
///
/// The C library's `wcwidth` depends on the locale (and returns -1 for everything
/// non-ASCII under the "C" locale many services run with), so the client carries its own:
/// East Asian Wide and Fullwidth characters and emoji presentation take two columns,
/// combining marks, joiners and variation selectors take none. A cluster is as wide as its
/// base scalar, or two if it contains an emoji-presentation scalar or VS16 (what current
/// terminals draw for "❤️" and ZWJ sequences such as "👩‍💻").
enum TextWidth {
    /// Columns one grapheme cluster occupies. Control characters count as zero: they are
    /// replaced by `Sanitizer` before anything reaches the terminal.
    static func columns(of character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if first.value < 0x7F { return first.value >= 0x20 ? 1 : 0 }
        var width = columns(of: first)
        if width == 2 { return 2 }
        for scalar in scalars.dropFirst() {
            if scalar.value == 0xFE0F { return 2 }  // VS16: emoji presentation requested
            if scalar.properties.isEmojiPresentation { return 2 }
        }
        if width == 0, scalars.count > 1 {
            // A cluster that starts with a mark (a stray combining character) still draws
            // something: terminals put it in one cell.
            width = 1
        }
        return width
    }

    /// Columns of one scalar on its own.
    static func columns(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if v < 0x300 { return 1 }
        if isZeroWidth(scalar) { return 0 }
        if isWide(v) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// Total columns of `text`.
    static func columns(_ text: some StringProtocol) -> Int {
        var total = 0
        for character in text { total += columns(of: character) }
        return total
    }

    /// The longest prefix of `text` that fits in `limit` columns; when `text` is cut, the
    /// last column holds "…" so the reader sees that something is missing.
    static func truncate(_ text: String, toColumns limit: Int) -> String {
        guard limit > 0 else { return "" }
        if columns(text) <= limit { return text }
        var result = ""
        var used = 0
        for character in text {
            let w = columns(of: character)
            if used + w > limit - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }

    /// `text` padded with spaces on the left to `width` columns (right-aligned), truncated
    /// first if it is wider.
    static func padLeft(_ text: String, toColumns width: Int) -> String {
        let cut = truncate(text, toColumns: width)
        let missing = width - columns(cut)
        return missing > 0 ? String(repeating: " ", count: missing) + cut : cut
    }

    /// `text` padded with spaces on the right to `width` columns, truncated first if wider.
    static func padRight(_ text: String, toColumns width: Int) -> String {
        let cut = truncate(text, toColumns: width)
        let missing = width - columns(cut)
        return missing > 0 ? cut + String(repeating: " ", count: missing) : cut
    }

    // MARK: - Tables

    static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        switch v {
        case 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x206F, 0xFEFF:  // ZW space/joiners, bidi, BOM
            return true
        case 0x1160...0x11FF, 0xD7B0...0xD7FF:  // Hangul medial vowels and final consonants
            return true
        case 0xFE00...0xFE0F, 0xE0100...0xE01EF:  // variation selectors
            return true
        case 0xE0000...0xE007F:  // tags (flag sequences)
            return true
        default:
            break
        }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format:
            return true
        default:
            return false
        }
    }

    /// East Asian Wide (W) and Fullwidth (F) ranges, Unicode 15, folded into blocks;
    /// emoji are covered by `isEmojiPresentation` instead.
    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F,  // Hangul Jamo initial consonants
            0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
            0x2E80...0x303E,  // CJK radicals, Kangxi, CJK symbols and punctuation
            0x3041...0x33FF,  // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, CJK compat
            0x3400...0x4DBF,  // CJK extension A
            0x4E00...0x9FFF,  // CJK unified ideographs
            0xA000...0xA4CF,  // Yi
            0xA960...0xA97F,  // Hangul Jamo extended A
            0xAC00...0xD7A3,  // Hangul syllables
            0xF900...0xFAFF,  // CJK compatibility ideographs
            0xFE10...0xFE19,  // vertical forms
            0xFE30...0xFE6F,  // CJK compatibility forms, small form variants
            0xFF00...0xFF60,  // fullwidth forms
            0xFFE0...0xFFE6,
            0x16FE0...0x16FE4, 0x17000...0x18CFF,  // Tangut, Khitan
            0x1AFF0...0x1B2FF,  // Kana supplement and extensions, Nushu
            0x1F200...0x1F2FF,  // enclosed ideographic supplement
            0x20000...0x2FFFD, 0x30000...0x3FFFD:  // CJK extensions B and later
            return true
        default:
            return false
        }
    }
}

/// Makes untrusted text safe to print on a terminal: a name or message containing ESC or
/// other control characters could otherwise move the cursor, recolor or retitle the
/// terminal. C0 controls and DEL become caret notation (`^[`), C1 controls U+FFFD; a tab
/// becomes a space so alignment holds.
enum Sanitizer {
    static func clean(_ text: String) -> String {
        // Fast path: most text has no control characters at all.
        if !text.unicodeScalars.contains(where: isControl) { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 0x09 {
                out.append(" ")
            } else if v < 0x20 {
                out.append("^")
                out.append(Unicode.Scalar(UInt8(v + 0x40)))
            } else if v == 0x7F {
                out.append("^")
                out.append("?")
            } else if v >= 0x80 && v < 0xA0 {
                out.append("\u{FFFD}")
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (v >= 0x7F && v < 0xA0)
    }
}
