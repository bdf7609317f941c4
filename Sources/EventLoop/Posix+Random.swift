import CEventLoopShims
import Glibc

extension Posix {
    /// Fills `buffer` from the kernel's CSPRNG (getrandom(2), flags 0: blocks only until the pool
    /// is initialised at boot). A call may return fewer bytes than asked when interrupted, so it
    /// loops until the buffer is full.
    public static func randomBytes(_ buffer: UnsafeMutableRawBufferPointer) throws(Errno) {
        var filled = 0
        while filled < buffer.count {
            let n = try mustSucceed("getrandom") {
                CInt(CEventLoopShims.getrandom(buffer.baseAddress! + filled, buffer.count - filled, 0))
            }
            filled += Int(n)
        }
    }
}
