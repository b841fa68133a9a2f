import Foundation
import KafkaClient
import Testing

@Test func zzLatency() async throws {
    let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: TestSupport.logger())
    try cluster.createTopic("lat", partitions: 1)
    let producer = try TestSupport.producer(cluster)
    var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServerList, strategy: .allPartitions(topics: ["lat"]))
    configuration.additionalConfig["fetch.wait.max.ms"] = ProcessInfo.processInfo.environment["FWM"] ?? "500"
    let consumer = try KafkaConsumer(configuration: configuration, logger: TestSupport.logger())
    let reader = EventReader(consumer)
    _ = try await reader.collect { $0.caughtUp }
    var delays: [Duration] = []
    for i in 0..<15 {
        let start = ContinuousClock.now
        _ = try await producer.send(TestSupport.record("lat", partition: 0, key: nil, value: "\(i)"))
        if i < 3 { print("LAT send", ContinuousClock.now - start) }
        _ = try await reader.collect { !$0.messages.isEmpty }
        delays.append(ContinuousClock.now - start)
        try await Task.sleep(for: .milliseconds(50))
    }
    print("LAT", delays.map { "\($0.components.attoseconds / 1_000_000_000_000_000 + $0.components.seconds * 1000)ms" })
    try await reader.close()
    await producer.close()
    await cluster.close()
}
