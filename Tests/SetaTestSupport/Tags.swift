// Tags for a quick inner loop: `swift test --skip tag:executable --skip tag:slow` (or `make test-quick`) leaves out
// the suites that start the `seta` executable and the long property and fuzz walks; CI runs everything.
import Testing

extension Tag {
    /// Starts the `seta` executable (Tests/SetaCLITests): needs `swift build --product seta`.
    @Tag public static var executable: Self
    /// Walks many seeded inputs or whole runs (fuzzing, every option's values, kills and resumes, qemu, MPI).
    @Tag public static var slow: Self
    /// Reads the default model (SmolLM2, `make model-for-tests`) or the benchmark data (../shared/data).
    @Tag public static var realModel: Self
}
