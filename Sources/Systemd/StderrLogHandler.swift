// A swift-log LogHandler writing one line per entry to stderr:
//
//     <6>client joined room=lobby user=ann
//
// The "<N>" prefix is the syslog priority in sd-daemon(3)'s format: when stderr is a pipe
// to journald (a unit without native logging, or `systemd-cat`), journald strips it and
// stores N as PRIORITY=, so `journalctl -p err` still works; on a terminal it stays
// readable. Each line goes out in a single write(2), so lines written by several event-loop
// threads at once never interleave (pipe writes up to PIPE_BUF are atomic, pipe(7); longer
// ones and writes to files/terminals are not split by other writers in practice either,
// because the kernel holds the file position lock for the whole write).
//
// One entry must stay one line: newlines and other control characters in the message and
// in values are escaped (\n, \t, \xNN), and values containing spaces, quotes or '=' are
// quoted, so that `key=value` pairs remain unambiguous for grep and log shippers.

import EventLoop
import Glibc
import Logging

public struct StderrLogHandler: LogHandler {
    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Where lines go: STDERR_FILENO, or a pipe in tests.
    let outputFD: Int32

    /// Set on one logger (`logger.logLevel = …`) to detach it from the shared level.
    private var levelOverride: Logger.Level?
    /// The level followed otherwise: SystemdLogging.level, or a private one in tests.
    let sharedLevel: SharedLogLevel

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider, outputFD: STDERR_FILENO, sharedLevel: .process)
    }

    /// Tests inject the output (a pipe) and a private level.
    init(label: String, metadataProvider: Logger.MetadataProvider?, outputFD: Int32, sharedLevel: SharedLogLevel = .process) {
        self.sharedLevel = sharedLevel
        self.label = label
        self.metadataProvider = metadataProvider
        self.outputFD = outputFD
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? sharedLevel.level }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(handler: metadata, provider: metadataProvider, event: event)
        var bytes = Self.format(level: event.level, message: "\(event.message)", metadata: merged)
        Self.writeAll(outputFD, &bytes)
    }

    /// The complete line for one entry, including the trailing newline (internal for tests).
    static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.utf8.count + 16 + metadata.count * 24)
        out.append(UInt8(ascii: "<"))
        out.append(UInt8(ascii: "0") + UInt8(JournaldLogHandler.priority(of: level)))
        out.append(UInt8(ascii: ">"))
        appendEscaped(message, to: &out, quoteIfNeeded: false)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            out.append(UInt8(ascii: " "))
            appendEscaped(key, to: &out, quoteIfNeeded: false)
            out.append(UInt8(ascii: "="))
            appendEscaped("\(value)", to: &out, quoteIfNeeded: true)
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    private static func appendEscaped(_ text: String, to out: inout [UInt8], quoteIfNeeded: Bool) {
        let quote = quoteIfNeeded && (text.isEmpty || text.utf8.contains {
            $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=")
        })
        if quote { out.append(UInt8(ascii: "\"")) }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: "\\t".utf8)
            case UInt8(ascii: "\\") where quote: out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\"") where quote: out.append(contentsOf: "\\\"".utf8)
            case 0..<0x20, 0x7f:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            default: out.append(byte)
            }
        }
        if quote { out.append(UInt8(ascii: "\"")) }
    }

    /// One write(2) for the whole line; loops only on EINTR and on a short write (a full pipe
    /// or a huge line), never splitting the line into separately issued pieces up front.
    static func writeAll(_ fd: Int32, _ bytes: inout [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                // EAGAIN on a non-blocking stderr, EPIPE, …: drop rather than block a loop.
                guard case .processed(let n)? = try? Posix.write(fd, rest), n > 0 else { return }
                offset += n
            }
        }
    }
}
