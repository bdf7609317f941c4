import EventLoop

/// How a TLS flush ended (`FlushResult` with TLS's own close reasons).
public enum TLSFlushResult: Equatable, Sendable {
    case drained
    /// OpenSSL needs the socket readable or writable first; `TLSConnection.retry` says which
    /// edge resumes the flush.
    case blocked
    /// The byte budget ran out with the socket still writable: re-post for fairness.
    case budgetExhausted
    case closed(TLSCloseReason)
}

extension WriteQueue {
    /// Encrypts queued frames through `tls`. OpenSSL has no writev, and one SSL_write per small
    /// frame would cost a record header, a MAC and a write(2) each; so up to one record's worth
    /// (16 KiB) of frames is gathered into `scratch` per SSL_write (Redis's `connTLSWritev`,
    /// nginx's `ssl_buffer_size`), and the queue advances by what OpenSSL reports consumed.
    /// Frames stay shared: encoding happened once per message, encryption is per recipient.
    ///
    /// A write that blocked is retried with the same leading bytes and a length at least as
    /// long, as SSL_write requires: the queue only grows at its tail, so re-gathering from the
    /// same head gives exactly that, at whatever address (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
    /// That is also why `scratch` may be one buffer shared by every connection of a loop.
    /// When the first frame alone covers the record, its bytes are handed over without a copy.
    public mutating func flush(
        through tls: TLSConnection, scratch: UnsafeMutableRawBufferPointer, budget: Int = .max
    ) -> TLSFlushResult {
        precondition(scratch.count >= TLSConnection.maxRecordPlaintext, "scratch must hold one TLS record")
        var remainingBudget = budget
        while !isEmpty {
            if remainingBudget <= 0 { return .budgetExhausted }
            let length = Swift.min(pendingBytes, TLSConnection.maxRecordPlaintext)
            let front = self.front
            let chunk: UnsafeRawBufferPointer
            if front.count >= length {
                chunk = UnsafeRawBufferPointer(rebasing: front[0..<length])
            } else {
                let copied = copyFront(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<length]))
                chunk = UnsafeRawBufferPointer(rebasing: scratch[0..<copied])
            }
            switch tls.write(chunk) {
            case .bytes(let n):
                consume(n)
                remainingBudget &-= n
            case .wantRead, .wantWrite:
                return .blocked
            case .closed(let reason):
                return .closed(reason)
            }
        }
        return .drained
    }
}
