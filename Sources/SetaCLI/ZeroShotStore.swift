// The base model's zero-shot row, remembered under $SETA_CACHE/zero-shot/ between runs of the same model on the
// same test prompts (every method of a benchmark and seed shares it; it costs as much as one row of the matrix).
// SETA_ZERO_SHOT_CACHE=0 turns it off.
import Foundation
import SetaContinual
import SetaModels

enum ZeroShotStore {
    static var folder: URL { ModelCache.root.appendingPathComponent("zero-shot", isDirectory: true) }

    /// nil when turned off, or when the model's files cannot be identified.
    static func cache(for lm: LanguageModel) -> ZeroShotCache? {
        guard ProcessInfo.processInfo.environment["SETA_ZERO_SHOT_CACHE"] != "0",
              var identity = identity(of: lm.source) else { return nil }
        // another model, numerically: its own row
        if let weights = lm.network.weightPrecision.recorded { identity += "|" + weights }
        return ZeroShotCache(modelIdentity: identity, load: { key in
            guard let data = try? Data(contentsOf: folder.appendingPathComponent(key + ".json")) else { return nil }
            return try? JSONDecoder().decode([Double].self, from: data)
        }, save: { key, row in
            // A cache: failing to write it must not fail the run.
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if let data = try? JSONEncoder().encode(row) {
                try? writeAtomically(data, to: folder.appendingPathComponent(key + ".json"))
            }
        })
    }

    /// The model's path with the size and modification time of its file (or of every file of its folder).
    static func identity(of path: String) -> String? {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        let files = isFolder.boolValue
            ? ((try? fm.contentsOfDirectory(atPath: path))?.sorted().map { path + "/" + $0 } ?? [])
            : [path]
        var parts = [path]
        for file in files {
            guard let a = try? fm.attributesOfItem(atPath: file), let size = a[.size] as? NSNumber,
                  let date = a[.modificationDate] as? Date else { return nil }
            parts.append("\((file as NSString).lastPathComponent):\(size):\(date.timeIntervalSince1970)")
        }
        return parts.joined(separator: "|")
    }
}
