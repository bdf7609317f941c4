import ChatProtocol

/// Seeded so that every run sees the same "random" inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func decode(_ input: [UInt8], maxPayload: Int = 65536) -> FrameDecodeResult {
    input.withUnsafeBytes { FramedDecoder.decode($0, maxPayload: maxPayload) }
}

func frameLength(_ input: [UInt8], maxPayload: Int = 65536) -> Int? {
    input.withUnsafeBytes { FramedDecoder.frameLength($0, maxPayload: maxPayload) }
}

/// A decoded stream: the payloads in order and how the stream ended.
struct StreamOutcome: Equatable, CustomStringConvertible {
    var payloads: [[UInt8]] = []
    var error: FrameError?
    var leftover = 0

    var description: String { "\(payloads.count) frames, error \(String(describing: error)), leftover \(leftover)" }
}

/// Feeds `stream` to the decoder like the daemon does: the buffer grows by the given read
/// sizes and complete frames are consumed from its front.
func decodeStream(_ stream: [UInt8], reads: some Sequence<Int>, maxPayload: Int = 65536) -> StreamOutcome {
    var outcome = StreamOutcome()
    var buffer: [UInt8] = []
    var position = 0
    var reads = reads.makeIterator()
    while true {
        switch decode(buffer, maxPayload: maxPayload) {
        case .frame(let offset, let length):
            outcome.payloads.append(Array(buffer[offset..<offset + length]))
            buffer.removeFirst(offset + length)
            continue
        case .error(let error):
            outcome.error = error
            outcome.leftover = buffer.count + stream.count - position
            return outcome
        case .needMore:
            break
        }
        guard position < stream.count else {
            outcome.leftover = buffer.count
            return outcome
        }
        let read = min(max(1, reads.next() ?? stream.count), stream.count - position)
        buffer += stream[position..<position + read]
        position += read
    }
}

func withBytes<R>(_ input: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
    input.withUnsafeBytes(body)
}
