// A swift-log LogHandler writing native journal entries (sd_journal_sendv(3)), so that
// `journalctl -u chatd CHAT_ROOM=lobby` or `PRIORITY=3` filters on real fields instead of
// grepping text. Used when stderr is connected to journald (see SystemdLogging.bootstrap).
//
// Each entry carries:
//   MESSAGE            the log message (newlines allowed: sd_journal_sendv switches such a
//                      field to the binary length-prefixed encoding by itself)
//   PRIORITY           syslog(3) level as a decimal digit (systemd.journal-fields(7))
//   SYSLOG_IDENTIFIER  the program name given to bootstrap ("chatd")
//   CODE_FILE/CODE_LINE/CODE_FUNC  the call site, as sd_journal_print(3)'s macros add them
//   CHAT_LOGGER        the swift-log label of the logger
//   CHAT_*             every metadata key (handler, provider and per-call metadata; later
//                      ones override earlier ones), named by JournalFieldName.forMetadataKey;
//                      an error attached to the event becomes CHAT_ERROR.

import CSystemd
import Glibc
import Logging

public struct JournaldLogHandler: LogHandler {
    public let label: String
    public let identifier: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Set on one logger (`logger.logLevel = …`) to detach it from the shared level.
    private var levelOverride: Logger.Level?
    /// The level followed otherwise: SystemdLogging.level, or a private one in tests.
    let sharedLevel: SharedLogLevel

    public init(label: String, identifier: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, identifier: identifier, metadataProvider: metadataProvider, sharedLevel: .process)
    }

    init(label: String, identifier: String, metadataProvider: Logger.MetadataProvider?, sharedLevel: SharedLogLevel) {
        self.sharedLevel = sharedLevel
        self.label = label
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? sharedLevel.level }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The journal field name for a metadata key (see JournalFieldName).
    public static func fieldName(forMetadataKey key: String) -> String {
        JournalFieldName.forMetadataKey(key)
    }

    /// syslog(3) priorities as journald stores them in PRIORITY=. swift-log's trace has no
    /// syslog equivalent below debug, so both map to LOG_DEBUG.
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(handler: metadata, provider: metadataProvider, event: event)
        let fields = Self.fields(
            level: event.level, message: "\(event.message)", identifier: identifier, label: label,
            metadata: merged, file: event.file, function: event.function, line: event.line)
        if Self.send(fields) != 0 {
            // journald went away (restart, shutdown): do not lose the entry; systemd still
            // collects stderr (StandardError=journal) and honours the <N> prefix.
            var line = StderrLogHandler.format(level: event.level, message: "\(event.message)", metadata: merged)
            StderrLogHandler.writeAll(STDERR_FILENO, &line)
        }
    }

    /// The "FIELD=value" assignments of one entry, in order (internal for tests).
    static func fields(
        level: Logger.Level, message: String, identifier: String, label: String,
        metadata: Logger.Metadata, file: String, function: String, line: UInt
    ) -> [String] {
        var fields = [
            "MESSAGE=" + message,
            "PRIORITY=\(priority(of: level))",
            "SYSLOG_IDENTIFIER=" + identifier,
            "CODE_FILE=" + file,
            "CODE_LINE=\(line)",
            "CODE_FUNC=" + function,
            "CHAT_LOGGER=" + label,
        ]
        // Sorted so an entry's field order is stable (journald does not care; readers do).
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append(JournalFieldName.forMetadataKey(key) + "=" + "\(value)")
        }
        return fields
    }

    /// Sends one entry; 0 on success, else a negative errno (sd_journal_sendv(3)).
    /// All fields go into one contiguous buffer and the iovecs point into it, so the pointers
    /// stay valid for the whole call.
    static func send(_ fields: [String]) -> Int32 {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(fields.reduce(0) { $0 + $1.utf8.count })
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(fields.count)
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.utf8)
            ranges.append(start..<buffer.count)
        }
        return buffer.withUnsafeMutableBytes { bytes in
            let vectors = ranges.map { range in
                iovec(iov_base: bytes.baseAddress! + range.lowerBound, iov_len: range.count)
            }
            return vectors.withUnsafeBufferPointer { iov in
                sd_journal_sendv(iov.baseAddress, Int32(iov.count))
            }
        }
    }
}
