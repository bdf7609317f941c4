/// Entry points for a libFuzzer harness (`LLVMFuzzerTestOneInput` calls one of these with
/// the fuzzer's bytes). Each `check…` exercises the code and returns the invariants the input
/// violated, so `swift test` can `#expect` them one by one; each `fuzz…` traps on a violation,
/// which is the crash the fuzzer reports. Allocation is fine here.
public enum ProtocolFuzzing {
    public static func fuzzDecoder(_ data: UnsafeRawBufferPointer) { FuzzInvariants.trap(checkDecoder(data)) }
    public static func fuzzCommand(_ data: UnsafeRawBufferPointer) { FuzzInvariants.trap(checkCommand(data)) }
    public static func fuzzNames(_ data: UnsafeRawBufferPointer) { FuzzInvariants.trap(checkNames(data)) }

    /// Byte 0 picks the payload limit, byte 1 seeds how the rest is split into reads.
    /// Invariants: decoding the stream in arbitrary reads yields the same frames and the
    /// same final outcome as decoding it at once; every frame re-encodes to bytes that
    /// decode to the same payload (and to the very same bytes when its header was
    /// canonical); `frameLength` agrees with `decode`; the UTF-8 validator agrees with the
    /// stdlib.
    public static func checkDecoder(_ data: UnsafeRawBufferPointer) -> [String] {
        var inv = FuzzInvariants()
        let limits = [0, 1, 7, 10, 64, 300, 65536, Framing.maxEncodablePayload]
        let maxPayload = data.count > 0 ? limits[Int(data[0]) % limits.count] : Framing.defaultMaxPayload
        let seed = data.count > 1 ? UInt64(data[1]) : 0
        let stream = UnsafeRawBufferPointer(rebasing: data[min(2, data.count)...])

        let whole = decodeStream(stream, maxPayload: maxPayload, &inv) { consumed, _ in stream.count &- consumed }
        var generator = SplitMix64(seed: seed)
        let byteAtATime = decodeStream(stream, maxPayload: maxPayload, &inv) { _, _ in 1 }
        let randomReads = decodeStream(stream, maxPayload: maxPayload, &inv) { _, _ in
            Int(truncatingIfNeeded: generator.next() % 23) &+ 1
        }
        inv.require(whole == byteAtATime, "byte-at-a-time decoding differs from whole-buffer decoding")
        inv.require(whole == randomReads, "split decoding differs from whole-buffer decoding")

        for frame in whole.frames {
            let bytes = UnsafeRawBufferPointer(rebasing: stream[frame.start..<frame.start &+ frame.length])
            let payload = UnsafeRawBufferPointer(rebasing: bytes[Framing.headerLength...])
            inv.require(payload.count <= maxPayload)
            let reencoded = FrameEncoder.frame(payload)
            reencoded.withUnsafeBytes { again in
                inv.require(
                    FramedDecoder.decode(again, maxPayload: maxPayload)
                        == .frame(payloadOffset: Framing.headerLength, payloadLength: payload.count))
                inv.require(again[Framing.headerLength...].elementsEqual(payload))
                let canonical = again[..<Framing.headerLength].elementsEqual(bytes[..<Framing.headerLength])
                inv.require(!canonical || again.elementsEqual(bytes))
            }
            checkUTF8(payload, &inv)
        }
        checkUTF8(stream, &inv)
        return inv.violations
    }

    /// Invariants: `parse` never traps; plain text passes through unchanged; "//x" is the
    /// message "/x"; `isCommand` agrees with `parse`; parsed arguments obey their rules;
    /// command names are case-insensitive.
    public static func checkCommand(_ data: UnsafeRawBufferPointer) -> [String] {
        var inv = FuzzInvariants()
        let text = String(decoding: data, as: UTF8.self)
        let result = ChatCommand.parse(text)
        var utf8 = Array(text.utf8)
        let isCommand = utf8.withUnsafeBytes { ChatCommand.isCommand($0) }
        inv.require(isCommand == (utf8.first == ASCII.slash))
        guard isCommand else {
            inv.require(result == .message(text))
            return inv.violations
        }
        if utf8.count > 1, utf8[1] == ASCII.slash {
            inv.require(result == .message(String(decoding: utf8[1...], as: UTF8.self)))
            return inv.violations
        }
        switch result {
        case .message:
            inv.fail("a command was parsed as a plain message")
        case .join(let room, let key):
            inv.require(Names.validateRoom(room) == .success(room))
            inv.require(key.map { !$0.isEmpty && !$0.utf8.contains(where: ASCII.isWhitespace) } ?? true)
        case .moderation(let command):
            checkModeration(command, &inv)
        case .nick(let name):
            inv.require(!name.isEmpty && !name.utf8.contains(where: ASCII.isWhitespace))
        case .privateMessage(let name, let message):
            inv.require(!name.isEmpty && !name.utf8.contains(where: ASCII.isWhitespace))
            checkVerbatimText(message, of: text, &inv)
        case .me(let action):
            checkVerbatimText(action, of: text, &inv)
        case .account(let command):
            // The password is the rest of the message, verbatim, never empty.
            checkVerbatimText(command.password, of: text, &inv)
        case .history(let before, let limit):
            inv.require((before ?? 1) >= 1 && (limit ?? 1) >= 1)
        case .privateHistory(let name, let before, let limit):
            inv.require(!name.isEmpty && !name.utf8.contains(where: ASCII.isWhitespace))
            inv.require((before ?? 1) >= 1 && (limit ?? 1) >= 1)
        case .invalid(let reason):
            inv.require(!reason.isEmpty)
        case .leave, .rooms, .who, .help, .quit:
            break
        }
        // An unknown command echoes its name as typed, so only accepted ones must match.
        if case .invalid = result { return inv.violations }
        var index = 1
        while index < utf8.count, !ASCII.isWhitespace(utf8[index]) {
            if utf8[index] &- 0x61 < 26 { utf8[index] &-= 0x20 }
            index &+= 1
        }
        inv.require(ChatCommand.parse(String(decoding: utf8, as: UTF8.self)) == result)
        return inv.violations
    }

    /// Invariants: validation never traps; the byte and String entry points agree; an
    /// accepted name is 1–32 bytes, unchanged, without a reserved prefix, and also a valid
    /// room name with or without '#'; folding is idempotent.
    public static func checkNames(_ data: UnsafeRawBufferPointer) -> [String] {
        var inv = FuzzInvariants()
        let result = Names.validateUsername(data)
        let repaired = String(decoding: data, as: UTF8.self)
        let isUTF8 = UTF8Validation.isValid(data)
        if isUTF8 {
            inv.require(Names.validateUsername(repaired) == result)
        } else if case .failure(let error) = result {
            inv.require(error == .invalidUTF8 || error == .empty || error == .tooLong(data.count))
        } else {
            inv.fail("invalid UTF-8 accepted as a username")
        }
        if case .success(let name) = result {
            inv.require((1...Names.maxUsernameBytes).contains(data.count))
            inv.require(name.utf8.elementsEqual(data))
            inv.require(Names.checkPrefix(data.first) == nil)
            inv.require(Names.validateRoom(name) == .success(name))
            inv.require(Names.validateRoom("#" + name) == .success(name))
        }
        let room = Names.validateRoom(repaired)
        if case .success(let name) = room {
            inv.require(name.utf8.count <= Names.maxRoomBytes && Names.validateRoom(name) == room)
        }
        let folded = Names.foldForUniqueness(repaired)
        inv.require(Names.foldForUniqueness(folded) == folded)
        return inv.violations
    }

    // MARK: - Helpers

    struct DecodedFrame: Equatable {
        var start: Int
        var length: Int
    }

    struct DecodedStream: Equatable {
        var frames: [DecodedFrame] = []
        /// nil when the stream ended inside a frame (or exactly at a boundary).
        var error: FrameError?
        var consumed = 0
    }

    /// Feeds `stream` to the stateless decoder the way the daemon does: the window grows
    /// by `nextRead(consumed, available)` bytes, complete frames are consumed from its front.
    static func decodeStream(
        _ stream: UnsafeRawBufferPointer, maxPayload: Int, _ inv: inout FuzzInvariants, nextRead: (Int, Int) -> Int
    ) -> DecodedStream {
        var decoded = DecodedStream()
        var available = 0
        while true {
            let window = UnsafeRawBufferPointer(rebasing: stream[decoded.consumed..<available])
            let result = FramedDecoder.decode(window, maxPayload: maxPayload)
            let length = FramedDecoder.frameLength(window, maxPayload: maxPayload)
            switch result {
            case .frame(let offset, let payloadLength):
                inv.require(offset == Framing.headerLength && payloadLength <= maxPayload)
                inv.require(length == offset &+ payloadLength && window.count >= offset &+ payloadLength)
                decoded.frames.append(DecodedFrame(start: decoded.consumed, length: offset &+ payloadLength))
                decoded.consumed &+= offset &+ payloadLength
                continue
            case .error(let error):
                inv.require(length == nil)
                decoded.error = error
                return decoded
            case .needMore:
                if let length {
                    inv.require(window.count >= Framing.headerLength && length > window.count)
                } else {
                    inv.require(window.count < Framing.headerLength)
                }
            }
            if available == stream.count { return decoded }
            available = min(stream.count, available &+ max(1, nextRead(decoded.consumed, available)))
        }
    }

    static func checkUTF8(_ bytes: UnsafeRawBufferPointer, _ inv: inout FuzzInvariants) {
        let stdlib = String(validating: bytes, as: UTF8.self) != nil
        inv.require(UTF8Validation.isValid(bytes) == stdlib, "UTF-8 validator disagrees with the stdlib")
    }

    /// Free text must be a non-empty suffix of the input that does not start with a separator.
    static func checkVerbatimText(_ argument: String, of text: String, _ inv: inout FuzzInvariants) {
        inv.require(!argument.isEmpty && !ASCII.isWhitespace(argument.utf8.first!))
        inv.require(text.utf8.reversed().starts(with: argument.utf8.reversed()))
    }
}
