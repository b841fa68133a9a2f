// `toxfuzz`: the decoders of every byte ToxWatch reads from Kafka, as a fuzz target
// (`DecoderFuzzTarget`: the event contract's decoder, the HL7 v2 and FHIR R4 adapters).
//
// Built by Scripts/fuzz with `-sanitize=fuzzer -D FUZZING`, it is a libFuzzer
// binary (libFuzzer's flags and corpus directories as arguments). Built normally (`swift build`),
// it replays the files and directories given as arguments, e.g. a crash file libFuzzer wrote, and
// exits 1 on a violated property.
import ToxWatchContract
import Foundation

/// Runs one input; a violated property ends the process like a trap, so that libFuzzer keeps it.
func fuzz(_ bytes: [UInt8]) {
    let violations = DecoderFuzzTarget.violations(bytes)
    if !violations.isEmpty { fatalError("property violated: " + violations.joined(separator: "; ")) }
}

#if FUZZING
// libFuzzer calls this for every input, from its own `main` or from the driver below (whichever
// `main` the link keeps: SwiftPM names this file's entry point, libFuzzer brings one too).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzz(data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzer(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runLibFuzzer(&argc, &argv, fuzzOneInput))
#else
var files: [String] = []
for argument in CommandLine.arguments.dropFirst() {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
        FileHandle.standardError.write(Data("toxfuzz: no such file \(argument)\n".utf8))
        exit(2)
    }
    if isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
        files += names.sorted().map { argument + "/" + $0 }
    } else {
        files.append(argument)
    }
}
if files.isEmpty {
    FileHandle.standardError.write(Data("usage: toxfuzz FILE|DIRECTORY … (replays inputs; Scripts/fuzz fuzzes)\n".utf8))
    exit(2)
}
var failed = 0
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else { continue }
    let violations = DecoderFuzzTarget.violations(Array(data))
    if !violations.isEmpty {
        failed += 1
        print("\(file): " + violations.joined(separator: "; "))
    }
}
print("toxfuzz: \(files.count) input(s) replayed, \(failed) violating a property")
exit(failed == 0 ? 0 : 1)
#endif
