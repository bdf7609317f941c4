// libFuzzer harness for ProtocolFuzzing.fuzzNames: compiled together with Sources/ChatProtocol/*.swift
// by Fuzz/build.sh (swiftc -sanitize=fuzzer,address -parse-as-library). A violated
// invariant is a precondition failure, which libFuzzer reports as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ProtocolFuzzing.fuzzNames(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
