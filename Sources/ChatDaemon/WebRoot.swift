import EventLoop
import Glibc
import WebProtocol

/// Finds and reads the browser page's directory (`--web-root`) into a `WebSite` at start-up.
enum WebRoot {
    /// Where the .deb installs the page (packaging/deb/build-deb.sh).
    static let packaged = "/usr/share/chatd/www"
    /// Files larger than this are refused at start: the page is a few small files, and all of
    /// them stay in memory.
    static let maxFileBytes = 8 << 20
    static let maxFiles = 256

    /// `--web-root`, else the packaged directory when it exists, else `www` in the working
    /// directory (`make run` and tests from a checkout).
    static func resolve(_ configured: String?) -> String {
        if let configured { return configured }
        return Posix.exists(packaged + "/index.html") ? packaged : "www"
    }

    /// Reads every regular file directly in `directory` (hidden names skipped; subdirectories
    /// are not served). Throws a message for the operator when the page cannot be served.
    static func load(_ directory: String) throws(ChatServerError) -> WebSite {
        let names: [String]
        do {
            names = try Posix.listDirectory(directory).filter { !$0.hasPrefix(".") }
        } catch {
            throw ChatServerError("web-root '\(directory)' cannot be read: \(error) (set --web-root to the page's directory)")
        }
        guard names.count <= maxFiles else {
            throw ChatServerError("web-root '\(directory)' holds \(names.count) files; at most \(maxFiles) are served")
        }
        var contents: [String: [UInt8]] = [:]
        for name in names {
            do {
                contents[name] = try Posix.readFile(directory + "/" + name, maxBytes: maxFileBytes)
            } catch where error.rawValue == EISDIR {
                continue
            } catch {
                throw ChatServerError("web-root file '\(directory)/\(name)' cannot be read: \(error)")
            }
        }
        let site = WebSite(contents: contents)
        guard site.files["index.html"] != nil else {
            throw ChatServerError("web-root '\(directory)' has no index.html (set --web-root to the page's directory)")
        }
        return site
    }
}
