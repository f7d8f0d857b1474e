// Seta on a CPU without AVX-512: the `seta` executable under `qemu-x86_64 -cpu Haswell` (Debian's qemu-user traps
// every instruction the emulated CPU lacks) gives the logits the native machine gives with OpenBLAS on its Haswell
// kernels, bit for bit; and, as a control, traps under `-cpu Nehalem` (no AVX2), so the emulation is enforced.
// `--weights bf16` there falls back to float32 (no AVX-512 BF16 under Haswell): the same logits again, as natively
// with SETA_BF16_FALLBACK=1 — no AVX-512 instruction leaks out of the runtime check.
// Skipped where qemu-user is not installed (scripts/qemu-haswell.sh installs it and runs more under qemu).
import Foundation
import Testing
import SetaTestSupport

let qemu = URL(fileURLWithPath: "/usr/bin/qemu-x86_64")

@Suite(.tags(.executable, .slow), .requires(installed: FileManager.default.isExecutableFile(atPath: qemu.path), "qemu-user not installed (apt-get install qemu-user; make test installs it)"),
       .setaBuilt)
struct CPUCompatibilityTests {
    func logits(cpu: String?, extra: [String] = [], environment: [String: String] = [:]) throws
        -> (status: Int32, reason: Process.TerminationReason, stdout: String) {
        let process = Process()
        let args = ["logits", "--model", fixtures.appendingPathComponent("tiny-llama").path, "--ids", "5,6,7", "--json"] + extra
        if let cpu {
            process.executableURL = qemu
            process.arguments = ["-cpu", cpu, setaExecutable.path] + args
        } else {
            process.executableURL = setaExecutable
            process.arguments = args
            process.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_CORETYPE": "Haswell"].merging(environment) { $1 }) { $1 }
        }
        let out = Pipe()
        process.standardOutput = out; process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, String(decoding: data, as: UTF8.self))
    }

    @Test func runsOnHaswellWithTheSameLogitsAndTheEmulationIsEnforced() throws {
        let native = try logits(cpu: nil), haswell = try logits(cpu: "Haswell")
        #expect(native.status == 0 && haswell.status == 0 && haswell.reason == .exit)
        #expect(!haswell.stdout.isEmpty && haswell.stdout == native.stdout)
        let nehalem = try logits(cpu: "Nehalem")
        #expect(nehalem.status != 0, "a binary built for x86-64-v3 ran on a CPU without AVX2: qemu does not enforce the model")
    }

    @Test func bf16WeightsFallBackToFloat32WithoutAVX512BF16() throws {
        let native = try logits(cpu: nil)
        let haswell = try logits(cpu: "Haswell", extra: ["--weights", "bf16"])
        #expect(haswell.status == 0 && haswell.reason == .exit && haswell.stdout == native.stdout)
        let forced = try logits(cpu: nil, extra: ["--weights", "bf16"], environment: ["SETA_BF16_FALLBACK": "1"])
        #expect(forced.status == 0 && forced.stdout == native.stdout)
    }
}
