// Why a suite may not run on this machine, and whether that may pass CI. Two kinds of reason:
//   - a missing install step (the default model, Open MPI, qemu-user, the seta executable — `make test` installs
//     them — or the benchmark data, which CI provides beside the clone as ../shared/data, else SETA_DATA): under
//     SETA_REQUIRE_SUITES=1 (which .ci/run exports) the suite does not skip — its tests fail, each with the
//     one-line reason;
//   - a missing CPU feature (AVX-512 BF16): always a skip, never a failure; scripts/run-tests.sh lists these
//     skips at the end of the run.
// Every skip message starts with its kind ("missing install step: …", "CPU feature: …"), which is how
// scripts/run-tests.sh tells them apart.
import Foundation
import Testing

public enum Prerequisites {
    /// SETA_REQUIRE_SUITES is set (to anything but 0 or empty): a missing install step fails its suite.
    public static var required: Bool {
        let value = ProcessInfo.processInfo.environment["SETA_REQUIRE_SUITES"] ?? ""
        return !value.isEmpty && value != "0"
    }

    /// The error a suite's tests fail with when an install step is missing under SETA_REQUIRE_SUITES=1.
    public struct MissingInstallStep: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "missing install step under SETA_REQUIRE_SUITES=1: \(reason)" }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs when `present` (an installed prerequisite: model, MPI, qemu, data, executable); otherwise skips with
    /// "missing install step: <reason>", or, under SETA_REQUIRE_SUITES=1, fails with that reason.
    public static func requires(installed present: @autoclosure @escaping @Sendable () -> Bool, _ reason: String,
                                sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(Comment(rawValue: "missing install step: \(reason)"), sourceLocation: sourceLocation) {
            if present() { return true }
            if Prerequisites.required { throw Prerequisites.MissingInstallStep(reason: reason) }
            return false
        }
    }

    /// Runs when this CPU has `feature`; otherwise skips with "CPU feature: <feature> not in this CPU" (never fails).
    public static func requires(cpuFeature present: @autoclosure @escaping @Sendable () -> Bool, _ feature: String,
                                sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(Comment(rawValue: "CPU feature: \(feature) not in this CPU"), sourceLocation: sourceLocation) { present() }
    }
}
