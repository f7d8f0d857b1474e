// The three task formats, read from tiny fixture folders.
import Foundation
import Testing
@testable import SetaData

@Suite struct LoaderTests {
    @Test func oloraTaskBuildsPromptsAndSkipsUnknownTestLabels() throws {
        let task = try TaskLoader.load(folder: Fixtures.task("tiny_topic"))
        #expect(task.name == "tiny_topic")
        #expect(task.kind == .classification)
        #expect(task.labels == ["World", "Sports", "Science or Technology"])
        #expect(task.train.count == 4)
        #expect(task.test.count == 2)
        #expect(task.skippedRows == 1)
        let e = task.train[0]
        #expect(e.prompt == "What is the topic of the following paragraph? Choose one from the option.\n"
            + "Option: World, Sports, Science or Technology\nThe election results were announced today.\nAnswer:")
        #expect(e.input == "The election results were announced today.")
        #expect(e.target == " World")
        #expect(e.references == ["World"])
        #expect(task.test[1].target == " Science or Technology")
        #expect(!task.train.contains { $0.prompt.contains("tiny_topic") })
    }

    @Test func oloraNullInstructionStartsWithOptions() throws {
        let task = try TaskLoader.load(folder: Fixtures.task("tiny_copa"))
        #expect(task.train.count == 2 && task.test.count == 1 && task.skippedRows == 0)
        #expect(task.train[0].prompt.hasPrefix("Option: A, B\nQuestion: The man broke his toe."))
        #expect(task.train[0].prompt.hasSuffix("sock.\nAnswer:"))
        #expect(task.test[0].target == " B")
    }

    @Test func superNITaskTakesFirstOutputAndAllReferences() throws {
        let task = try TaskLoader.load(folder: Fixtures.task("tiny_superni"))
        #expect(try TaskLoader.format(of: Fixtures.task("tiny_superni")) == .superNI)
        #expect(task.kind == .generation)
        #expect(task.labels == nil)
        #expect(task.train.count == 3)
        #expect(task.test.count == 1)
        #expect(task.skippedRows == 1)  // the instance with an empty output list
        let e = task.train[0]
        #expect(e.prompt == "In this task, you are given a sentence. Answer with the sentence's main verb."
            + "\n\nInput: The dog barked loudly.\nOutput:")
        #expect(e.target == " barked")
        #expect(e.references == ["barked", "barks"])
        #expect(task.train[2].target == " will travel")  // a plain-string output
        #expect(task.train[2].references == ["will travel"])
    }

    @Test func jsonlGenerationKeepsCompletionAsWritten() throws {
        let task = try TaskLoader.load(folder: Fixtures.task("tiny_jsonl_gen"))
        #expect(try TaskLoader.format(of: Fixtures.task("tiny_jsonl_gen")) == .jsonl)
        #expect(task.kind == .generation)
        #expect(task.train.count == 3)  // the blank line is ignored
        #expect(task.train[1] == Example(
            prefix: "", input: "Translate to French: dog\n", suffix: "", target: " chien", references: ["chien"]))
        #expect(task.test.count == 1)
    }

    @Test func jsonlInfersClassificationFromFewRepeatedCompletions() throws {
        let task = try TaskLoader.load(folder: Fixtures.task("tiny_jsonl_cls"))
        #expect(task.kind == .classification)
        #expect(task.labels == ["yes", "no"])
    }

    @Test func jsonlKindFromTaskJSON() throws {
        let task = try TaskLoader.load(folder: Fixtures.task("tiny_jsonl_declared"))
        #expect(task.kind == .classification)
        #expect(task.labels == ["blue", "green", "white"])
        #expect(task.train[0].target == "blue")  // no leading space added
    }

    @Test func streamLoadsInOrderAndRejectsDuplicatesAndUnknownNames() throws {
        let stream = try TaskStream.load(dataDir: Fixtures.tasks, tasks: ["tiny_superni", "tiny_topic"])
        #expect(stream.map(\.name) == ["tiny_superni", "tiny_topic"])

        let dup = expectDataError { _ = try TaskStream.load(dataDir: Fixtures.tasks, tasks: ["tiny_topic", "tiny_topic"]) }
        guard case .duplicateTask(let name, _)? = dup else { Issue.record("expected duplicateTask, got \(String(describing: dup))"); return }
        #expect(name == "tiny_topic")

        let unknown = expectDataError { _ = try TaskStream.load(dataDir: Fixtures.tasks, tasks: ["tiny_topic", "nope"]) }
        guard case .unknownTask(let n, _, let available)? = unknown else { Issue.record("expected unknownTask"); return }
        #expect(n == "nope")
        #expect(available.contains("tiny_copa") && available.contains("tiny_jsonl_gen"))
        #expect(unknown!.description.contains("tiny_copa"))

        #expect(TaskStream.parseTaskList(" a, b ,,c ") == ["a", "b", "c"])
    }
}
