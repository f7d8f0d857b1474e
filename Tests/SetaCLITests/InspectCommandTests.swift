// `seta inspect` through the executable: tables and JSON on a tiny trained run, and its errors.
import Foundation
import Testing
import SetaTestSupport

@Suite(.tags(.executable), .setaBuilt)
struct InspectCommandTests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path
    let tasks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaDataTests/Fixtures/tasks").standardized.path

    func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("seta-inspect-\(UUID().uuidString)").path }

    @Test func tablesAndJSONOfATinySETARun() throws {
        let run = scratch()
        let train = try runSeta(["train", "--model", tiny, "--method", "seta", "--out", run, "--data", tasks,
                                 "--tasks", "tiny_jsonl_cls,tiny_topic", "--train-per-task", "8", "--test-per-task", "4",
                                 "--epochs", "1", "--batch-size", "4", "--fisher-examples", "2", "--probe-batches", "1"])
        #expect(train.status == 0, "stderr: \(train.stderr)")

        let text = try runSeta(["inspect", run, "--data", tasks])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        for part in ["2 of 2 tasks trained", "Block states per task (f free", "ffffffff", "Experts and Ω per adapted matrix",
                     "Gate routing on the test prompts", "routing accuracy", "(results.json:", "Stored parameters:"] {
            #expect(text.stdout.contains(part), "missing \(part) in:\n\(text.stdout)")
        }

        let json = try runSeta(["inspect", run, "--json", "--no-routing"])
        #expect(json.status == 0, "stderr: \(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["method"] as? String == "seta" && object["tasks_completed"] as? Int == 2 && object["routing"] is NSNull)
        let pools = try #require(object["pools"] as? [[String: Any]])
        #expect(pools.count == 4 && pools.allSatisfy { ($0["block_states"] as? [[String]])?.count == 2 })
        let parameters = try #require(object["parameters"] as? [String: Any])
        let results = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))) as? [String: Any])
        #expect(parameters["total"] as? Int == ((results["params"] as? [String: Any])?["stored_after_task"] as? [Int])?.last)
    }

    @Test func notARunFolderIsAClearError() throws {
        let missing = scratch()
        let result = try runSeta(["inspect", missing])
        #expect(result.status == 1 && result.stderr.contains("\(missing) is not a run folder"), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }
}
