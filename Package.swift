// swift-tools-version: 6.1
// Seta — continual learning of language models (SETA: Mixture of Sparse Experts for Task-Agnostic CL).
//
// Targets, bottom to top (arrows point down):
//   seta (CLI) ─► SetaModels ─► SetaTensor ─► CBLAS (OpenBLAS)
//                     └───────► SetaTokenizers
// Later layers (experts, continual strategies, data, metrics) slot in between SetaModels and the CLI.
import PackageDescription

/// Hot kernels are built optimised even in debug builds (a debug kernel is ~700× slower), for a CPU with
/// AVX2 + FMA ("haswell" = x86-64-v3): without FMA, `addingProduct` becomes a libm call per lane.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"]),
]

let package = Package(
    name: "Seta",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "seta", targets: ["SetaCLI"]),
        .executable(name: "seta-microbench", targets: ["SetaMicrobench"]),
        .library(name: "SetaTensor", targets: ["SetaTensor"]),
        .library(name: "SetaModels", targets: ["SetaModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS through pkg-config (Debian: libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Tensor core: storage, ops with hand-written backward, autodiff, optimisers, RNG. Knows nothing of LMs.
        .target(
            name: "SetaTensor",
            dependencies: ["CBLAS"],
            swiftSettings: kernelFlags
        ),
        // Byte-level BPE tokenizers (tokenizer.json / GGUF vocabularies) and chat templates.
        .target(
            name: "SetaTokenizers",
            swiftSettings: kernelFlags
        ),
        // Layers, the Llama family, checkpoint loaders (GGUF, safetensors), generation.
        .target(
            name: "SetaModels",
            dependencies: ["SetaTensor", "SetaTokenizers"],
            swiftSettings: kernelFlags
        ),
        .executableTarget(
            name: "SetaCLI",
            dependencies: [
                "SetaModels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Micro-benchmarks of the core (GEMM, fused attention) and of the default model's forward — an executable, never a test.
        .executableTarget(
            name: "SetaMicrobench",
            dependencies: ["SetaModels"],
            swiftSettings: kernelFlags
        ),
        .testTarget(name: "SetaTensorTests", dependencies: ["SetaTensor"]),
        .testTarget(
            name: "SetaTokenizersTests",
            dependencies: ["SetaTokenizers"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SetaModelsTests",
            dependencies: ["SetaModels"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
