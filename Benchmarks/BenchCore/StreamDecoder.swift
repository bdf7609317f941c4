import ChatProtocol

/// Per-connection incremental parser of what a server sends. The connection keeps the
/// unconsumed tail of its input and calls `parse` again when more bytes arrive.
public struct StreamDecoder: Sendable {
    public let kind: AdapterKind
    /// framed: the next frame is the text of a message whose sender frame was just read.
    @usableFromInline var expectText = false
    /// framed: that sender was `*` (a notice, ignored).
    @usableFromInline var noticeText = false
    /// framed: between chatd's "history: …" and "end of history" notices (replayed, ignored).
    @usableFromInline var inHistory = false
    /// ws: the server's 101 response has been read; frames follow.
    @usableFromInline var upgraded = false
    /// Notices seen (framed `*` frames, line server announcements, IRC lines other than
    /// PRIVMSG): for diagnostics.
    public var notices = 0
    /// Bytes the client owes the server in answer to what was parsed (IRC: PONG for each
    /// PING); the connection sends and clears them after each `parse`.
    public var replies: [UInt8] = []

    public init(_ kind: AdapterKind) { self.kind = kind }

    public enum Outcome: Equatable, Sendable {
        /// Bytes consumed from the front; keep the rest for the next call.
        case consumed(Int)
        /// The stream does not follow the protocol; close the connection.
        case protocolError
    }

    /// Calls `delivery` with the text of every complete message in `bytes` (including
    /// non-benchmark texts: callers check `Payload.decode`).
    @inlinable
    public mutating func parse(
        _ bytes: UnsafeRawBufferPointer, maxPayload: Int = 1 << 24,
        delivery: (UnsafeRawBufferPointer) -> Void
    ) -> Outcome {
        switch kind {
        case .framed: return parseFramed(bytes, maxPayload: maxPayload, delivery)
        case .line: return parseLines(bytes, delivery)
        case .resp: return parseRESP(bytes, delivery)
        case .irc: return parseIRC(bytes, delivery)
        case .ws: return parseWS(bytes, maxPayload: maxPayload, delivery)
        }
    }

    @inlinable
    mutating func parseFramed(
        _ bytes: UnsafeRawBufferPointer, maxPayload: Int, _ delivery: (UnsafeRawBufferPointer) -> Void
    ) -> Outcome {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch FramedDecoder.decode(rest, maxPayload: maxPayload) {
            case .needMore:
                return .consumed(offset)
            case .error:
                return .protocolError
            case .frame(let po, let pl):
                let payload = UnsafeRawBufferPointer(rebasing: rest[po..<(po + pl)])
                if expectText {
                    expectText = false
                    if noticeText {
                        notices &+= 1
                        if Self.hasPrefix(payload, "history:") {
                            inHistory = true
                        } else if Self.hasPrefix(payload, "end of history") {
                            inHistory = false
                        }
                    } else if !inHistory {
                        delivery(payload)
                    }
                } else {
                    expectText = true
                    noticeText = pl == 1 && payload[0] == UInt8(ascii: "*")
                }
                offset &+= po &+ pl
            }
        }
        return .consumed(offset)
    }

    @inlinable
    mutating func parseLines(_ bytes: UnsafeRawBufferPointer, _ delivery: (UnsafeRawBufferPointer) -> Void) -> Outcome {
        var start = 0
        var i = 0
        let n = bytes.count
        while i < n {
            if bytes[i] == 10 {
                var end = i
                if end > start && bytes[end - 1] == 13 { end -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if let text = Self.lineText(line) { delivery(text) } else { notices &+= 1 }
                start = i &+ 1
            }
            i &+= 1
        }
        return .consumed(start)
    }

    /// A line-chat delivery is either the bare text or "(who) - text" (NIOChatServer).
    @inlinable
    static func lineText(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        if line.count >= 2 && line[0] == Payload.marker.0 && line[1] == Payload.marker.1 { return line }
        guard line.count > 4, line[0] == UInt8(ascii: "(") else { return nil }
        var i = 1
        while i &+ 3 < line.count {
            if line[i] == UInt8(ascii: ")") && line[i + 1] == 32 && line[i + 2] == UInt8(ascii: "-") && line[i + 3] == 32 {
                let text = UnsafeRawBufferPointer(rebasing: line[(i + 4)...])
                return Self.hasPrefix(line, "(ChatServer)") ? nil : text
            }
            i &+= 1
        }
        return nil
    }

    @inlinable
    static func hasPrefix(_ b: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard b.count >= n else { return false }
        let p = s.utf8Start
        for i in 0..<n where b[i] != p[i] { return false }
        return true
    }

    // MARK: RESP2

    @usableFromInline enum RESPScan { case incomplete, invalid, end(Int) }

    /// Reads a decimal integer terminated by CRLF starting at `i`; returns (value, index after CRLF).
    @inlinable
    static func respInteger(_ b: UnsafeRawBufferPointer, _ start: Int) -> (Int, Int)?? {
        var i = start
        var neg = false
        var v = 0
        var digits = 0
        if i < b.count && b[i] == UInt8(ascii: "-") { neg = true; i &+= 1 }
        while i < b.count {
            let c = b[i]
            if c == 13 {
                guard i &+ 1 < b.count else { return .some(nil) }
                guard b[i + 1] == 10, digits > 0 else { return nil }
                return .some((neg ? -v : v, i &+ 2))
            }
            guard c >= 0x30 && c <= 0x39, digits < 18 else { return nil }
            v = v &* 10 &+ Int(c &- 0x30)
            digits &+= 1
            i &+= 1
        }
        return .some(nil)
    }

    /// Skips one RESP value at `i` (nil payload range unless it is a bulk string).
    @inlinable
    static func respValue(_ b: UnsafeRawBufferPointer, _ i: Int, depth: Int = 0) -> (RESPScan, Range<Int>?) {
        guard i < b.count else { return (.incomplete, nil) }
        switch b[i] {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"):
            var j = i &+ 1
            while j &+ 1 < b.count {
                if b[j] == 13 && b[j + 1] == 10 { return (.end(j &+ 2), nil) }
                j &+= 1
            }
            return (.incomplete, nil)
        case UInt8(ascii: "$"):
            guard let r = respInteger(b, i &+ 1) else { return (.invalid, nil) }
            guard let (len, body) = r else { return (.incomplete, nil) }
            if len < 0 { return (.end(body), nil) }
            guard body &+ len &+ 2 <= b.count else { return (.incomplete, nil) }
            return (.end(body &+ len &+ 2), body..<(body &+ len))
        case UInt8(ascii: "*"):
            guard depth < 4, let r = respInteger(b, i &+ 1) else { return (.invalid, nil) }
            guard let (count, first) = r else { return (.incomplete, nil) }
            var j = first
            for _ in 0..<max(count, 0) {
                switch respValue(b, j, depth: depth + 1).0 {
                case .incomplete: return (.incomplete, nil)
                case .invalid: return (.invalid, nil)
                case .end(let e): j = e
                }
            }
            return (.end(j), nil)
        default:
            return (.invalid, nil)
        }
    }

    @inlinable
    mutating func parseRESP(_ b: UnsafeRawBufferPointer, _ delivery: (UnsafeRawBufferPointer) -> Void) -> Outcome {
        var offset = 0
        while offset < b.count {
            // Fast path for pub/sub pushes: *3 $7 message $n channel $m payload.
            if b[offset] == UInt8(ascii: "*") {
                guard let r = Self.respInteger(b, offset &+ 1) else { return .protocolError }
                guard let (count, first) = r else { return .consumed(offset) }
                var j = first
                var ranges: (Range<Int>?, Range<Int>?, Range<Int>?) = (nil, nil, nil)
                for k in 0..<max(count, 0) {
                    let (scan, range) = Self.respValue(b, j, depth: 1)
                    switch scan {
                    case .incomplete: return .consumed(offset)
                    case .invalid: return .protocolError
                    case .end(let e): j = e
                    }
                    if k == 0 { ranges.0 = range } else if k == 2 { ranges.2 = range }
                }
                if count == 3, let kind = ranges.0, let payload = ranges.2,
                    Self.hasPrefix(UnsafeRawBufferPointer(rebasing: b[kind]), "message"), kind.count == 7
                {
                    delivery(UnsafeRawBufferPointer(rebasing: b[payload]))
                } else {
                    notices &+= 1
                }
                offset = j
            } else {
                switch Self.respValue(b, offset).0 {
                case .incomplete: return .consumed(offset)
                case .invalid: return .protocolError
                case .end(let e):
                    if b[offset] == UInt8(ascii: "-") { notices &+= 1 }
                    offset = e
                }
            }
        }
        return .consumed(offset)
    }
}
