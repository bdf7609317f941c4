// libFuzzer harness for IRCFuzzing.fuzzLines: compiled together with Sources/IRCProtocol/*.swift
// by Fuzz/build.sh (swiftc -sanitize=fuzzer,address -parse-as-library). A violated
// invariant is a precondition failure, which libFuzzer reports as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    IRCFuzzing.fuzzLines(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
