@preconcurrency import CEdit
import Glibc

/// The input line, edited by libedit through its readline-compatible callback interface
/// (rl_callback_handler_install / rl_callback_read_char), so the event loop keeps the
/// terminal and the socket in one epoll set: libedit gets one character whenever stdin is
/// readable and calls back with a complete line.
///
/// libedit quirks handled here (libedit 3.1, readline.c):
/// - after calling the line handler it leaves the editor in buffered mode, where the next
///   read would block for a whole line: the handler is re-installed after every line
///   (which also prints the fresh prompt), as GNU readline programs may do too;
/// - signals are left to the client's signalfd (`rl_catch_signals = 0`).
///
/// Incoming chat is printed above the input line with `printAbove`: move to the start of
/// the (possibly wrapped) input, clear to the end of the screen, print, then
/// `rl_forced_update_display()` redraws prompt, typed text and cursor below.
final class LineEditor {
    /// libedit calls a C function pointer with no context argument, so the current
    /// editor's line sink lives in a global; only the loop thread touches it.
    nonisolated(unsafe) static var sink: ((String?) -> Void)?

    private(set) var prompt: String
    private var installed = false
    /// Terminal columns, refreshed on SIGWINCH.
    var columns: Int

    init(prompt: String, columns: Int) {
        self.prompt = prompt
        self.columns = columns
        Terminal.enableUTF8Locale()
        rl_catch_signals = 0
        rl_catch_sigwinch = 0
        using_history()
        stifle_history(1000)
    }

    func start(_ onLine: @escaping (String?) -> Void) {
        Self.sink = onLine
        install()
    }

    private func install() {
        installed = true
        rl_callback_handler_install(prompt) { cLine in
            let line = cLine.map { String(cString: $0) }
            if let cLine { free(cLine) }
            LineEditor.sink?(line)
        }
    }

    /// Called from the line sink once the line is handled: shows the prompt again.
    func reinstall() {
        guard installed else { return }
        install()
    }

    /// stdin is readable: let libedit consume what is there (a paste or an escape sequence
    /// arrives as several bytes; libedit reads one character per call).
    func readAvailable() {
        var budget = 4096
        repeat {
            rl_callback_read_char()
            budget -= 1
        } while installed && budget > 0 && Terminal.hasInput(0)
    }

    /// `redraw: false` inside the line handler, where re-installing draws the prompt.
    func setPrompt(_ newPrompt: String, redraw: Bool = true) {
        guard newPrompt != prompt else { return }
        prompt = newPrompt
        guard installed, redraw else { return }
        eraseInput()
        _ = rl_set_prompt(newPrompt)
        rl_forced_update_display()
    }

    func addHistory(_ line: String) {
        _ = add_history(line)
    }

    /// Prints complete lines above the input line and redraws it.
    func printAbove(_ text: String) {
        guard installed else {
            Terminal.write(text.replacing("\n", with: "\r\n") + "\r\n")
            return
        }
        eraseInput()
        Terminal.write(text.replacing("\n", with: "\r\n") + "\r\n")
        rl_forced_update_display()
    }

    /// Erases the line libedit echoed when Enter was pressed (the cursor is now on the row
    /// below it), so the client can show the message rendered instead.
    func eraseSubmittedLine(_ line: String) {
        let rows = max(1, (TextWidth.columns(prompt) + TextWidth.columns(line) + max(columns, 1) - 1) / max(columns, 1))
        Terminal.write("\u{1B}[\(rows)A\r\u{1B}[J")
    }

    /// Moves to the first row of the prompt and clears from there to the end of the screen.
    private func eraseInput() {
        var rowsAbove = 0
        if columns > 0, let buffer = rl_line_buffer {
            let point = Int(max(0, rl_point))
            let typed = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: Int(max(0, rl_end)))
            let prefix = String(decoding: typed.prefix(point), as: UTF8.self)
            rowsAbove = (TextWidth.columns(prompt) + TextWidth.columns(prefix)) / columns
        }
        Terminal.write((rowsAbove > 0 ? "\u{1B}[\(rowsAbove)A" : "") + "\r\u{1B}[J")
    }

    /// Restores the terminal (cooked mode) and leaves the cursor on a clean line.
    func stop() {
        guard installed else { return }
        installed = false
        eraseInput()
        rl_callback_handler_remove()
        Self.sink = nil
    }

    func resize(columns: Int) {
        self.columns = columns
        rl_resize_terminal()
    }
}

/// Small terminal and stdio helpers shared by both modes.
enum Terminal {
    static func isTerminal(_ fd: CInt) -> Bool { isatty(fd) == 1 }

    /// Columns of the terminal on `fd`, or 0 when it is not a terminal.
    static func columns(_ fd: CInt = 1) -> Int {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 else { return 0 }
        return Int(size.ws_col)
    }

    /// True when `fd` has bytes to read right now.
    static func hasInput(_ fd: CInt) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0 && (p.revents & Int16(POLLIN)) != 0
    }

    /// Writes everything to stdout with blocking writes (stdout is ours; if it is a full pipe
    /// the client waits, as any filter does). Errors (a closed pipe) are ignored here and
    /// noticed by the caller through `stdoutBroken`.
    nonisolated(unsafe) static var stdoutBroken = false

    static func write(_ text: String, fd: CInt = 1) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else if n < 0 && errno == EAGAIN {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, 1000)
                } else {
                    if fd == 1 { stdoutBroken = true }
                    return
                }
            }
        }
    }

    /// libedit decodes input with the C library's multibyte functions: under the default
    /// "C" locale a typed "é" or "山" would be taken apart byte by byte. Use the user's
    /// locale, and C.UTF-8 when that is not UTF-8 (chat is UTF-8 on the wire anyway).
    static func enableUTF8Locale() {
        if let name = setlocale(LC_CTYPE, ""), String(cString: name).uppercased().replacing("-", with: "").contains("UTF8") {
            return
        }
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "C.utf8") }
    }

    /// Local wall-clock time for the timestamp column.
    static func now() -> ClockTime {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        return ClockTime(hour: Int(parts.tm_hour), minute: Int(parts.tm_min))
    }
}
