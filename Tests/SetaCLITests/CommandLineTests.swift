// Bad input through the `seta` command: a one-paragraph message on stderr, exit code 1, no stack trace.
import Foundation
import Testing
import SetaTestSupport

@Suite(.tags(.executable), .setaBuilt)
struct CommandLineTests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path

    @Test func tokenizeAndLogitsJSON() throws {
        let tok = try runSeta(["tokenize", "--model", tiny, "--text", "hello world", "--json"])
        #expect(tok.status == 0)
        let ids = try #require((try JSONSerialization.jsonObject(with: Data(tok.stdout.utf8)) as? [String: Any])?["ids"] as? [Int])
        #expect(!ids.isEmpty)
        let logits = try runSeta(["logits", "--model", tiny, "--ids", "5,6,7", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(logits.stdout.utf8)) as? [String: Any])
        #expect(json["ids"] as? [Int] == [5, 6, 7] && (json["argmax"] as? [Int])?.count == 3 && (json["last"] as? [Double])?.count == 300)
    }

    @Test(arguments: [
        (["logits", "--model", "/no/such.gguf", "--prompt", "hi"], "/no/such.gguf"),
        (["logits", "--model", "TINY", "--ids", "1,2,999"], "token id 999 is outside the vocabulary"),
        (["logits", "--model", "TINY", "--ids", "1,x"], "\"x\" is not an integer"),
        (["generate", "--model", "TINY", "--prompt", ""], "the prompt is empty"),
        (["logits", "--model", "TINY"], "exactly one of --prompt"),
    ])
    func badInputIsAClearErrorAndNonZeroExit(arguments: [String], expected: String) throws {
        let result = try runSeta(arguments.map { $0 == "TINY" ? tiny : $0 })
        #expect(result.status != 0)
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
    }
}
