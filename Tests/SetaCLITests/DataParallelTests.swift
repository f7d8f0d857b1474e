// `mpirun -np N seta train` (data-parallel over Open MPI) against one process, on the tiny Llama fixture and a
// generated two-task stream. Runs where mpirun and libmpi.so.40 are installed (`make test` installs Open MPI);
// skipped otherwise, with the reason.
//
// Tolerance: every adapter value and every number of results.json agrees within 1e-4 · (1 + |value|), and the
// accuracy matrix exactly. The ranks compute the same batch as one process, group by group, but float32 sums
// are not associative: the 2-rank gradient is (rank 0's groups) + (rank 1's groups), summed by MPI, instead of
// one left-to-right sum, and Fisher diagonals are sums of per-rank partial sums. That moves each step's gradient
// by ~1 ulp (6e-8 relative); AdamW (which divides by √v, so a coordinate whose gradient is near zero turns a
// 1-ulp difference into a larger one) and the steps that follow carry it to ≤ 2.4e-6 in the adapters of these
// runs (measured: seta 1.5e-6, ewc 2.4e-6, olora 6e-7, replay 4e-7). 1e-4 leaves a 40× margin while still
// catching any real error (a gradient counted twice, a missing shard, a wrong scale: ≥ 1e-3 after one step). The
// amplification grows with the learning rate and the number of steps (ewc at lr 0.05: 5e-4; the default model,
// 16 steps at lr 5e-4: a few of 460,800 values up to 6e-4 ≈ lr, BENCHMARKS.md), hence this test's lr 0.02.
import Foundation
import SetaModels
import Testing
import SetaTestSupport

/// mpirun on PATH (nil when Open MPI is not installed).
let mpirunPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    .map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
let openMPIInstalled = mpirunPath != nil && ["/usr/lib/x86_64-linux-gnu/libmpi.so.40", "/usr/lib/aarch64-linux-gnu/libmpi.so.40",
                                             "/usr/lib64/openmpi/lib/libmpi.so.40", "/usr/lib/libmpi.so.40"]
    .contains { FileManager.default.fileExists(atPath: $0) }

@Suite(.tags(.executable, .slow), .setaBuilt,
       .requires(installed: openMPIInstalled, "Open MPI not installed (apt-get install libopenmpi-dev openmpi-bin; make test installs it)"),
       .serialized)
struct DataParallelTests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path
    static let tolerance = 1e-4

    func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("seta-mpi-\(UUID().uuidString)").path }

    /// Two classification tasks of 32 training and 8 test examples each (yes/no about numbers).
    func stream() throws -> String {
        let root = scratch()
        for (name, question, answer) in [("parity", "Is %d even?", { (n: Int) in n % 2 == 0 }),
                                         ("size", "Is %d more than twenty?", { (n: Int) in n > 20 })] {
            let folder = root + "/" + name
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            func lines(_ numbers: some Sequence<Int>) -> String {
                numbers.map { "{\"prompt\": \"\(String(format: question, $0))\", \"completion\": \"\(answer($0) ? " yes" : " no")\"}\n" }.joined()
            }
            try lines(0..<32).write(toFile: folder + "/train.jsonl", atomically: true, encoding: .utf8)
            try lines(32..<40).write(toFile: folder + "/test.jsonl", atomically: true, encoding: .utf8)
        }
        return root
    }

    func arguments(_ method: String, data: String, out: String) -> [String] {
        ["train", "--model", tiny, "--method", method, "--out", out, "--data", data, "--tasks", "parity,size",
         "--train-per-task", "32", "--test-per-task", "8", "--epochs", "2", "--batch-size", "8", "--rows-per-forward", "2",
         "--eval-batch-size", "2", "--lr", "0.02", "--fisher-examples", "8", "--probe-batches", "2", "--seed", "3"]
    }

    /// `mpirun -np ranks seta …` (as root with --allow-run-as-root; --oversubscribe: more ranks than cores is fine here).
    func mpirun(_ ranks: Int, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runProcess(URL(fileURLWithPath: mpirunPath!),
                       ["-np", "\(ranks)", "--oversubscribe"] + (geteuid() == 0 ? ["--allow-run-as-root"] : [])
                           + [setaExecutable.path] + arguments)
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= tolerance * (1 + abs(a)) }

    /// Every tensor of two adapters.safetensors files within the tolerance; the largest difference.
    func compareAdapters(_ a: String, _ b: String) throws -> Double {
        let x = try SafetensorsFile(url: URL(fileURLWithPath: a)), y = try SafetensorsFile(url: URL(fileURLWithPath: b))
        #expect(x.names == y.names)
        var worst = 0.0
        for name in x.names where y.names.contains(name) {
            let (u, v): ([Double], [Double])
            if x.tensorInfos[name]?.dtype == "F64" { (u, v) = (try x.float64(name).values, try y.float64(name).values) } else {
                (u, v) = (try x.tensor(name).values.map(Double.init), try y.tensor(name).values.map(Double.init))
            }
            #expect(u.count == v.count, "\(name)")
            for (p, q) in zip(u, v) {
                worst = max(worst, abs(p - q))
                if !Self.close(p, q) { Issue.record("\(name): \(p) vs \(q) beyond the tolerance"); return worst }
            }
        }
        return worst
    }

    /// results.json of two runs: the accuracy matrix and zero-shot row exactly, every other number within the tolerance.
    func compareResults(_ a: String, _ b: String) throws {
        let x = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a + "/results.json")))
        let y = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: b + "/results.json")))
        let (dx, dy) = (try #require(x as? [String: Any]), try #require(y as? [String: Any]))
        #expect(dx["matrix"] as? [[Double]] == dy["matrix"] as? [[Double]])
        #expect(dx["zero_shot"] as? [Double] == dy["zero_shot"] as? [Double])
        func walk(_ u: Any, _ v: Any, _ path: String) {
            switch (u, v) {
            case let (p as [String: Any], q as [String: Any]):
                #expect(Set(p.keys) == Set(q.keys), "\(path)")
                for (k, value) in p { if let other = q[k] { walk(value, other, path + "." + k) } }
            case let (p as [Any], q as [Any]):
                #expect(p.count == q.count, "\(path)")
                for (i, pair) in zip(p, q).enumerated() { walk(pair.0, pair.1, path + "[\(i)]") }
            case let (p as NSNumber, q as NSNumber):
                #expect(Self.close(p.doubleValue, q.doubleValue), "\(path): \(p) vs \(q)")
            default:
                #expect("\(u)" == "\(v)", "\(path)")
            }
        }
        walk(dx, dy, "results")
    }

    @Test(arguments: ["seta", "ewc", "olora", "replay"])
    func twoRanksEqualOneProcess(method: String) throws {
        setenv("SETA_ZERO_SHOT_CACHE", "0", 1)
        let data = try stream(), one = scratch(), two = scratch()
        let single = try runSeta(arguments(method, data: data, out: one))
        try #require(single.status == 0, "stderr: \(single.stderr)")
        let parallel = try mpirun(2, arguments(method, data: data, out: two))
        try #require(parallel.status == 0, "stderr: \(parallel.stderr)")
        #expect(parallel.stderr.contains("data-parallel over 2 ranks"))
        #expect(parallel.stdout == single.stdout, "the printed matrix of rank 0 only, as one process prints it")
        try compareResults(one, two)
        let worst = try compareAdapters(one + "/checkpoints/task-1/adapters.safetensors", two + "/checkpoints/task-1/adapters.safetensors")
        #expect(worst < Self.tolerance)
        // The sharded evaluation is not trivially equal: SETA's scores move away from zero on this stream.
        let results = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: two + "/results.json"))) as? [String: Any])
        if method == "seta" { #expect((results["matrix"] as? [[Double]])?.joined().contains { $0 > 0 } == true) }
        let timings = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: two + "/timings.json"))) as? [String: Double])
        #expect(timings["ranks"] == 2 && timings["gradient_allreduce_seconds_rank0"] != nil)
    }

    @Test func resumeContinuesWithAnotherNumberOfRanks() throws {
        setenv("SETA_ZERO_SHOT_CACHE", "0", 1)
        let data = try stream(), reference = scratch()
        try #require(try runSeta(arguments("seta", data: data, out: reference)).status == 0)
        // Two ranks stopped after task 1 (its checkpoint kept), continued by one process; then the reverse with three ranks.
        for (first, then) in [(2, 1), (1, 3)] {
            let run = scratch()
            let started = first == 1 ? try runSeta(arguments("seta", data: data, out: run)) : try mpirun(first, arguments("seta", data: data, out: run))
            try #require(started.status == 0, "stderr: \(started.stderr)")
            for name in ["results.json", "timings.json", "checkpoints/task-1"] { try FileManager.default.removeItem(atPath: run + "/" + name) }
            let args = arguments("seta", data: data, out: run) + ["--resume"]
            let resumed = then == 1 ? try runSeta(args) : try mpirun(then, args)
            #expect(resumed.status == 0 && resumed.stderr.contains("resuming after task 1 of 2"), "stderr: \(resumed.stderr)")
            try compareResults(reference, run)
            _ = try compareAdapters(reference + "/checkpoints/task-1/adapters.safetensors", run + "/checkpoints/task-1/adapters.safetensors")
        }
    }

    /// The process of rank `rank` of a running job (found by its environment, set by mpirun).
    func processOfRank(_ rank: Int) -> pid_t? {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return ids.first { pid in
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return environ.split(separator: 0).contains { $0.elementsEqual("OMPI_COMM_WORLD_RANK=\(rank)".utf8) }
                && String(decoding: command, as: UTF8.self).contains(setaExecutable.path)
        }
    }

    @Test func aRankThatDiesStopsTheJobAndTheLastCheckpointResumes() throws {
        setenv("SETA_ZERO_SHOT_CACHE", "0", 1)
        let data = try stream(), run = scratch()
        var args = arguments("seta", data: data, out: run)
        args[args.firstIndex(of: "--epochs")! + 1] = "30"                       // a long second task to die in
        let job = Process()
        job.executableURL = URL(fileURLWithPath: mpirunPath!)
        job.arguments = ["-np", "2", "--oversubscribe"] + (geteuid() == 0 ? ["--allow-run-as-root"] : []) + [setaExecutable.path] + args
        let err = Pipe()
        job.standardOutput = FileHandle.nullDevice; job.standardError = err
        try job.run()
        while job.isRunning && !FileManager.default.fileExists(atPath: run + "/checkpoints/task-0/resume.json") { usleep(5_000) }
        let victim = try #require(processOfRank(1), "rank 1 not found")
        try #require(job.isRunning, "the job ended before rank 1 could be killed")
        kill(victim, SIGKILL)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        job.waitUntilExit()
        #expect(job.terminationStatus != 0)
        #expect(stderr.contains("rank 1") && stderr.contains("exited on signal 9"), "mpirun names the rank that died: \(stderr)")
        #expect(stderr.contains("checkpoints of completed tasks are intact"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: run + "/results.json"))
        #expect(!FileManager.default.fileExists(atPath: run + "/checkpoints/task-1"))
        // The last task-boundary checkpoint is whole: one process continues from it.
        let resumed = try runSeta(args + ["--resume"])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming after task 1 of 2"), "stderr: \(resumed.stderr)")
    }

    @Test func onlyRankZeroWrites() throws {
        let data = try stream(), run = scratch()
        let result = try mpirun(2, arguments("seq-lora", data: data, out: run))
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: run))
        #expect(files == ["run.json", "config.yaml", "log.jsonl", "results.json", "timings.json", "checkpoints"])
        let log = try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8)
        // One writer: each step logged once (2 tasks × 2 epochs × 4 batches).
        #expect(log.split(separator: "\n").filter { $0.contains("\"event\":\"step\"") }.count == 16)
        #expect(log.contains("\"event\":\"data_parallel\""))
    }
}
