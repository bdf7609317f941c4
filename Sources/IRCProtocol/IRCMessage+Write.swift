extension IRCMessage {
    /// Appends the message and CR LF to `buffer`. A ':' goes before the last parameter
    /// only when it needs one (empty, contains a space, starts with ':'). With `limits`
    /// the line must fit `IRCLimits`. On error `buffer` is left as it was.
    public func write(into buffer: inout [UInt8], limits: Bool = true) throws(IRCWriteError) {
        let start = buffer.count
        do {
            try writeUnchecked(into: &buffer, start: start, limits: limits)
        } catch {
            buffer.removeSubrange(start...)
            throw error
        }
    }

    /// The line with CR LF as a new array.
    public func serialized(limits: Bool = true) throws(IRCWriteError) -> [UInt8] {
        var bytes: [UInt8] = []
        try write(into: &bytes, limits: limits)
        return bytes
    }

    private func writeUnchecked(into buffer: inout [UInt8], start: Int, limits: Bool) throws(IRCWriteError) {
        if !tags.isEmpty {
            buffer.append(IRCBytes.at)
            for (offset, tag) in tags.enumerated() {
                if offset > 0 { buffer.append(IRCBytes.semicolon) }
                guard IRCTagKey.isValid(tag.key) else { throw .invalidTagKey(tag.key) }
                buffer.append(contentsOf: tag.key.utf8)
                if !tag.value.isEmpty {
                    buffer.append(IRCBytes.equals)
                    guard IRCTagValue.appendEscaped(tag.value.utf8, to: &buffer) else {
                        throw .invalidTagValue(key: tag.key)
                    }
                }
            }
            buffer.append(IRCBytes.space)
            if limits, buffer.count &- start > IRCLimits.maxTagBytes { throw .tooLong(.tags) }
        }
        let bodyStart = buffer.count
        if let source {
            guard !source.isEmpty, !source.utf8.contains(where: { $0 == IRCBytes.space || IRCBytes.isLineBreakOrNUL($0) })
            else { throw .invalidSource }
            buffer.append(IRCBytes.colon)
            buffer.append(contentsOf: source.utf8)
            buffer.append(IRCBytes.space)
        }
        let command = command.utf8
        guard command.allSatisfy(IRCBytes.isLetter) && !command.isEmpty
            || command.count == 3 && command.allSatisfy(IRCBytes.isDigit)
        else { throw .invalidCommand }
        buffer.append(contentsOf: command)
        let last = params.count &- 1
        for (index, param) in params.enumerated() {
            let utf8 = param.utf8
            if utf8.contains(where: IRCBytes.isLineBreakOrNUL) { throw .invalidParam(index: index) }
            let needsColon = utf8.isEmpty || utf8.first == IRCBytes.colon || utf8.contains(IRCBytes.space)
            buffer.append(IRCBytes.space)
            if needsColon {
                guard index == last else { throw .invalidParam(index: index) }
                buffer.append(IRCBytes.colon)
            }
            buffer.append(contentsOf: utf8)
        }
        if limits, buffer.count &- bodyStart > IRCLimits.maxBodyBytes { throw .tooLong(.body) }
        buffer.append(IRCBytes.cr)
        buffer.append(IRCBytes.lf)
    }
}

/// message-tags "Escaping values".
enum IRCTagValue {
    /// Appends `value` escaped; false (having appended part of it) if it holds a NUL.
    @inlinable
    static func appendEscaped(_ value: some Sequence<UInt8>, to buffer: inout [UInt8]) -> Bool {
        for byte in value {
            switch byte {
            case IRCBytes.semicolon: buffer.append(IRCBytes.backslash); buffer.append(0x3A)
            case IRCBytes.space: buffer.append(IRCBytes.backslash); buffer.append(0x73)
            case IRCBytes.backslash: buffer.append(IRCBytes.backslash); buffer.append(IRCBytes.backslash)
            case IRCBytes.cr: buffer.append(IRCBytes.backslash); buffer.append(0x72)
            case IRCBytes.lf: buffer.append(IRCBytes.backslash); buffer.append(0x6E)
            case IRCBytes.nul: return false
            default: buffer.append(byte)
            }
        }
        return true
    }
}
