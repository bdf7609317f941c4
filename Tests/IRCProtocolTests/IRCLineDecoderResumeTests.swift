@testable import IRCProtocol
import Testing

/// The decoder resumes where it stopped searching a partial line, so a line trickling in a
/// byte per read is scanned once (O(line)), not once per read. Checked on its state: the
/// cost itself is not something a unit test should time.
@Suite("IRC line decoder resumes partial lines")
struct IRCLineDecoderResumeTests {
    @Test("a partial line is searched once; the found line and the next start afresh")
    func resumes() {
        var decoder = IRCLineDecoder()
        var buffer: [UInt8] = []
        let line = bytes("@time=x :n!u@h PRIVMSG #a :hello\r\nPING z\n")
        var events: [IRCLineEvent] = []
        for byte in line {
            buffer.append(byte)
            let step = buffer.withUnsafeBytes { decoder.next($0) }
            if step.event == .needMore {
                // The whole partial line is known LF-free; the next call starts past it.
                #expect(decoder.searchedForLF == buffer.count)
            } else {
                events.append(step.event)
                #expect(decoder.searchedForLF == 0 && decoder.searchedForSpace == 0)
            }
            buffer.removeFirst(step.consumed)
        }
        #expect(events == [.line(0..<32), .line(0..<6)])
    }

    @Test("the tag section's space is searched once too")
    func tagSpace() {
        var decoder = IRCLineDecoder()
        var buffer = bytes("@k=")
        _ = buffer.withUnsafeBytes { decoder.next($0) }
        #expect(decoder.searchedForSpace == 3)
        buffer += bytes("vv")
        _ = buffer.withUnsafeBytes { decoder.next($0) }
        #expect(decoder.searchedForSpace == 5)
        buffer += bytes(" PING")
        _ = buffer.withUnsafeBytes { decoder.next($0) }
        #expect(decoder.searchedForSpace == 5)  // found at offset 5, kept for the next read
        buffer += bytes("\n")
        let step = buffer.withUnsafeBytes { decoder.next($0) }
        #expect(step == IRCLineStep(event: .line(0..<10), consumed: 11))
        #expect(decoder.searchedForSpace == 0)
    }
}
