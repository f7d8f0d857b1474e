// Power loss, as a process sees it: `seta train` killed with SIGKILL (no handler runs, no write finishes) at
// several points of a run, then `train --resume`, gives a results.json identical byte for byte to the run that
// was never interrupted, and every file in the run folder is whole (atomic writes).
import Foundation
import Testing
import SetaTestSupport

@Suite(.tags(.executable, .slow), .setaBuilt)
struct KillResumeTests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path
    let tasks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaDataTests/Fixtures/tasks").standardized.path

    func arguments(_ method: String, out: String) -> [String] {
        ["train", "--model", tiny, "--method", method, "--out", out, "--data", tasks,
         "--tasks", "tiny_jsonl_cls,tiny_topic,tiny_copa", "--train-per-task", "8", "--test-per-task", "4",
         "--epochs", "2", "--batch-size", "4", "--fisher-examples", "2", "--probe-batches", "1"]
    }

    func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("seta-kill-\(UUID().uuidString)").path }

    func lines(_ path: String) -> Int {
        (try? Data(contentsOf: URL(fileURLWithPath: path)))?.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } ?? 0
    }

    /// Starts `seta train`, and SIGKILLs it once its log.jsonl has `events` lines (or lets it finish).
    func killed(_ args: [String], run: String, afterEvents events: Int) throws -> Bool {
        let process = Process()
        process.executableURL = setaExecutable
        process.arguments = args
        process.standardOutput = FileHandle.nullDevice; process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning && lines(run + "/log.jsonl") < events { usleep(2_000) }
        guard process.isRunning else { return false }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    @Test(arguments: ["seta", "seq-lora"])
    func resumeAfterSIGKILLGivesTheUninterruptedResults(method: String) throws {
        // Every run evaluates zero-shot, so the kill points (shares of the reference run's events) line up.
        setenv("SETA_ZERO_SHOT_CACHE", "0", 1)
        let reference = scratch()
        let full = try runSeta(arguments(method, out: reference))
        try #require(full.status == 0, "stderr: \(full.stderr)")
        let expected = try Data(contentsOf: URL(fileURLWithPath: reference + "/results.json"))
        let events = lines(reference + "/log.jsonl")
        var kills = 0
        for share in [0.15, 0.4, 0.65, 0.9] {
            let run = scratch()
            if try killed(arguments(method, out: run), run: run, afterEvents: Int(Double(events) * share)) { kills += 1 }
            #expect(!FileManager.default.fileExists(atPath: run + "/results.json"))
            // Nothing half-written: every JSON file left in the folder parses.
            let files = FileManager.default.enumerator(atPath: run)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".json") {
                let data = try Data(contentsOf: URL(fileURLWithPath: run + "/" + file))
                #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(file) is not whole after a kill at \(share)")
            }
            let resumed = try runSeta(arguments(method, out: run) + ["--resume"])
            #expect(resumed.status == 0, "kill at \(share): stderr \(resumed.stderr)")
            if share > 0.5 {                                    // past task 1 of 3: continues from a checkpoint
                #expect(resumed.stderr.contains("resuming after task"), "kill at \(share): stderr \(resumed.stderr)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/results.json")) == expected,
                    "\(method): killed at \(Int(share * 100))% of the run, resumed results.json differs")
            try? FileManager.default.removeItem(atPath: run)
        }
        #expect(kills == 4, "the run finished before some kills landed")
        try? FileManager.default.removeItem(atPath: reference)
    }

    /// A full disk, as a process sees it: writes fail (here past a file-size limit, `ulimit -f`). The run stops with
    /// a one-paragraph error naming the checkpoint, leaves no partial file, and `--resume` once there is room
    /// gives the uninterrupted run's results.
    @Test func aFullDiskStopsCleanlyAndResumeFinishesTheRun() throws {
        setenv("SETA_ZERO_SHOT_CACHE", "0", 1)
        let reference = scratch(), run = scratch()
        #expect(try runSeta(arguments("seq-lora", out: reference)).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -f 8; exec \"$0\" \"$@\"", setaExecutable.path] + arguments("seq-lora", out: run)
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice; process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("cannot write \(run)/checkpoints/task-0") && stderr.contains("the disk is full or a file-size limit"), "\(stderr)")
        #expect(!stderr.contains("Fatal error") && !stderr.contains("NSCocoaErrorDomain"), "\(stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(!FileManager.default.fileExists(atPath: run + "/results.json"))
        let resumed = try runSeta(arguments("seq-lora", out: run) + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))
                == Data(contentsOf: URL(fileURLWithPath: reference + "/results.json")))
    }

    @Test(arguments: [("/proc/seta-no-such-run", "mkdir /proc/seta-no-such-run:"), ("FILE/run", "is a file, not a folder")])
    func anOutputFolderThatCannotBeMadeIsAClearError(out: String, expected: String) throws {
        let file = scratch()
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let result = try runSeta(arguments("seq-lora", out: out.replacingOccurrences(of: "FILE", with: file)))
        #expect(result.status == 1 && result.stderr.contains("cannot create the run folder") && result.stderr.contains(expected),
                "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }
}
