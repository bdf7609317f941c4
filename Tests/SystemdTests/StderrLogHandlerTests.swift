import Glibc
import Logging
import Testing

@testable import Systemd

/// The stderr handler writes to an injected fd: here the write end of a real pipe.
struct StderrLogHandlerTests {
    @Test func lineFormat() {
        let line = StderrLogHandler.format(level: .info, message: "client joined", metadata: ["user": "ann", "room": "lobby"])
        #expect(String(decoding: line, as: UTF8.self) == "<6>client joined room=lobby user=ann\n")
    }

    @Test(arguments: [
        (Logger.Level.trace, "<7>"), (.debug, "<7>"), (.info, "<6>"), (.notice, "<5>"),
        (.warning, "<4>"), (.error, "<3>"), (.critical, "<2>"),
    ])
    func priorityPrefix(level: Logger.Level, prefix: String) {
        let line = String(decoding: StderrLogHandler.format(level: level, message: "x", metadata: [:]), as: UTF8.self)
        #expect(line == prefix + "x\n")
    }

    /// One entry stays one line, and key=value pairs stay unambiguous.
    @Test func escaping() {
        let line = StderrLogHandler.format(
            level: .error, message: "bad\nframe\t\u{1}",
            metadata: ["reason": "slow consumer", "quote": "say \"hi\"", "eq": "a=b", "empty": "", "nl": "x\ny"])
        #expect(String(decoding: line, as: UTF8.self)
            == #"<3>bad\nframe\t\x01 empty="" eq="a=b" nl=x\ny quote="say \"hi\"" reason="slow consumer""# + "\n")
    }

    @Test func writesThroughLoggerToInjectedFD() throws {
        let pipe = try Pipe()
        var logger = Logger(label: "test") { label in
            StderrLogHandler(label: label, metadataProvider: nil, outputFD: pipe.writeEnd)
        }
        logger.logLevel = .debug
        logger[metadataKey: "room"] = "lobby"
        logger.trace("filtered out")
        logger.debug("hello", metadata: ["user": "ann"])
        logger.warning("slow consumer", metadata: ["user": "bob", "room": "dev"])
        close(pipe.writeEnd)
        #expect(pipe.readAll() == "<7>hello room=lobby user=ann\n<4>slow consumer room=dev user=bob\n")
    }

    /// Many threads logging at once: every line arrives whole (one write(2) per line).
    /// The total (~50 KB) stays below the default pipe capacity (64 KiB, pipe(7)), so writers
    /// never block and the pipe is read after they finish.
    @Test func concurrentLinesDoNotInterleave() async throws {
        let pipe = try Pipe()
        let writeEnd = pipe.writeEnd
        let threads = 8, perThread = 20
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<threads {
                group.addTask {
                    let handler = StderrLogHandler(label: "t", metadataProvider: nil, outputFD: writeEnd)
                    let payload = String(repeating: Character(UnicodeScalar(UInt8(97 + t))), count: 300)
                    for i in 0..<perThread {
                        handler.log(event: LogEvent(level: .info, message: "\(payload)", metadata: ["i": "\(i)"],
                                                    source: nil, file: #file, function: #function, line: #line))
                    }
                }
            }
        }
        close(writeEnd)
        let lines = pipe.readAll().split(separator: "\n")
        #expect(lines.count == threads * perThread)
        for line in lines {
            let body = line.dropFirst(3).prefix(300)
            #expect(line.hasPrefix("<6>") && Set(body).count == 1 && line.contains(" i="))
        }
    }
}

/// A pipe whose read end is drained by readAll(); the writer closes writeEnd when done.
final class Pipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestError.system("pipe", errno) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    func readAll() -> String {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n > 0 { data += chunk[..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return String(decoding: data, as: UTF8.self)
    }

    deinit { close(readEnd) }
}
