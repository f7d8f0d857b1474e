// The real benchmark data (SETA_DATA or ../shared/data); skipped where the folder is absent.
import Foundation
import Testing
import SetaTestSupport
@testable import SetaData

@Suite(.tags(.realModel), .requires(installed: realDataRoot != nil, "benchmark data not found: set SETA_DATA or provide ../shared/data"))
struct RealDataTests {
    var root: URL { realDataRoot! }

    @Test func clOrder1MatchesTheREADME() throws {
        let tasks = try Benchmark.named("cl:order1").load(dataRoot: root)
        #expect(tasks.map(\.name) == ["dbpedia", "amazon", "yelp", "agnews"])
        #expect(tasks.map(\.train.count) == [3802, 5000, 4001, 4000])
        #expect(tasks.map(\.test.count) == [3798, 7600, 999, 7600])
        #expect(tasks.map(\.labels!.count) == [14, 5, 5, 4])
        for t in tasks {
            #expect(t.kind == .classification && t.skippedRows == 0)
            #expect(t.train[0].prefix.hasPrefix("What is the"))
            #expect(t.train[0].suffix == "\nAnswer:")
            for e in t.train + t.test {
                #expect(!e.prefix.lowercased().contains(t.name) && !e.suffix.lowercased().contains(t.name))
            }
        }
        let agnews = tasks[3]
        #expect(agnews.train[0].prefix == "What is the topic of the following paragraph? Choose one from the option.\n"
            + "Option: World, Sports, Business, Science or Technology\n")
    }

    @Test func mnliSkipsUnlabelledTestRowsAndCopaHasNoInstruction() throws {
        let tasks = try TaskStream.load(dataDir: root.appendingPathComponent("cl-benchmark"), tasks: ["mnli", "copa"])
        #expect(tasks[0].train.count == 3000)
        #expect(tasks[0].test.count == 7600 - 131)
        #expect(tasks[0].skippedRows == 131)
        #expect(tasks[1].train.count == 400 && tasks[1].test.count == 100)
        #expect(tasks[1].train[0].prompt.hasPrefix("Option: A, B\n"))
    }

    @Test func superniOrder1MatchesTheREADME() throws {
        let b = try Benchmark.named("superni:order1")
        let tasks = try b.load(dataRoot: root)
        #expect(tasks.count == 15)
        #expect(tasks.map(\.name) == b.tasks)
        let counts = Dictionary(uniqueKeysWithValues: tasks.map { ($0.name, ($0.train.count, $0.test.count)) })
        #expect(counts["task1572_samsum_summary"]! == (160, 20))
        #expect(counts["task1590_diplomacy_text_generation"]! == (126, 16))
        #expect(counts["task073_commonsenseqa_answer_generation"]! == (975, 100))
        #expect(counts["task875_emotion_classification"]! == (1000, 100))
        for t in tasks {
            #expect(t.kind == .generation && t.skippedRows == 0)
            #expect(t.train[0].prefix.hasSuffix("\n\nInput: ") && t.train[0].suffix == "\nOutput:")
            #expect(t.train.allSatisfy { $0.target.hasPrefix(" ") && !$0.references.isEmpty })
            #expect(!t.train[0].prefix.contains(t.name))
        }
    }

    @Test func everyNamedBenchmarkNamesExistingFolders() throws {
        for b in Benchmark.all {
            let available = try TaskStream.availableTasks(in: root.appendingPathComponent(b.subfolder))
            #expect(Set(b.tasks).isSubset(of: Set(available)), "\(b.name)")
            #expect(Set(b.tasks).count == b.tasks.count)
            let expected = b.name.hasPrefix("cl:") ? 4 : b.name.hasPrefix("long:") ? 14 : 15
            #expect(b.tasks.count == expected, "\(b.name)")
        }
    }
}
