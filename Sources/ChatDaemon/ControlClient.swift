import EventLoop
import Glibc

/// The client side of the control socket (`chatd ctl`): sends one request line, reads the
/// one-line JSON reply, and renders it for people unless the caller wants the JSON.
public enum ControlClient {
    public static let defaultSocketPath = "/run/chatd/control"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The reply: `ok` from the daemon, and the text to print (JSON or human).
    public static func run(socketPath: String, request: String, json: Bool) throws(Failure) -> (ok: Bool, output: String) {
        let reply = try exchange(socketPath: socketPath, request: request)
        let value: JSONValue
        do { value = try JSONParser.parse(reply) } catch {
            throw Failure(description: "the daemon's reply is not JSON (\(error)): \(String(decoding: reply, as: UTF8.self))")
        }
        guard case .object(let members) = value else { throw Failure(description: "the daemon's reply is not a JSON object") }
        let ok = members.first { $0.name == "ok" }?.value == .bool(true)
        if json { return (ok, String(decoding: reply, as: UTF8.self).trimmingSuffix("\n")) }
        return (ok, render(members))
    }

    static func exchange(socketPath: String, request: String) throws(Failure) -> [UInt8] {
        let fd: CInt
        do { fd = try UnixSocket.connect(path: socketPath) } catch {
            let hint = error.rawValue == EACCES ? " (root or the chatd group only)"
                : error.rawValue == ENOENT || error.rawValue == ECONNREFUSED ? " (is chatd running with --control-socket?)" : ""
            throw Failure(description: "cannot connect to \(socketPath): \(error)\(hint)")
        }
        defer { Posix.close(fd) }
        let line = Array((request + "\n").utf8)
        var sent = 0
        // A refusal is written before the request is read: EPIPE here still leaves it to read.
        while sent < line.count,
              case .processed(let n)? = try? line.withUnsafeBytes({ try Posix.write(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }) {
            sent += n
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        do {
            while true {
                guard case .processed(let n) = try chunk.withUnsafeMutableBytes({ try Posix.read(fd, $0) }) else { continue }
                if n == 0 { break }
                reply += chunk[..<n]
            }
        } catch {
            throw Failure(description: "control socket \(socketPath): \(error)")
        }
        guard !reply.isEmpty else { throw Failure(description: "control socket \(socketPath): closed without a reply") }
        return reply
    }

    /// One `key: value` line per member, lists one item per line; the error alone on failure.
    static func render(_ members: [(name: String, value: JSONValue)]) -> String {
        if members.first(where: { $0.name == "ok" })?.value == .bool(false),
           case .string(let error)? = members.first(where: { $0.name == "error" })?.value {
            return "error: \(error)"
        }
        var lines: [String] = []
        for (name, value) in members where name != "ok" {
            switch value {
            case .array(let items):
                lines.append("\(name): \(items.count)")
                for item in items { lines.append("  " + inline(item)) }
            default:
                lines.append("\(name): \(inline(value))")
            }
        }
        return lines.isEmpty ? "ok" : lines.joined(separator: "\n")
    }

    private static func inline(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "yes" : "no"
        case .number(let literal, _): literal
        case .string(let s): s
        case .array(let items): items.map(inline).joined(separator: ", ")
        case .object(let members): members.map { "\($0.name) \(inline($0.value))" }.joined(separator: ", ")
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

extension ControlClient {
    /// The daemon's open connections, from `status`.
    public static func connections(socketPath: String) throws(Failure) -> Int {
        let reply = try exchange(socketPath: socketPath, request: "status")
        guard case .object(let members)? = try? JSONParser.parse(reply),
              let count = members.first(where: { $0.name == "connections" })?.value.integer
        else { throw Failure(description: "unexpected status reply: \(String(decoding: reply, as: UTF8.self))") }
        return count
    }
}
