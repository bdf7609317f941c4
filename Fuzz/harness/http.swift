// libFuzzer harness for WebProtocolFuzzing.fuzzHTTP: compiled together with Sources/WebProtocol/*.swift
// by Fuzz/build.sh. A violated invariant is a precondition failure, reported as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WebProtocolFuzzing.fuzzHTTP(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
