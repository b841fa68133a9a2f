package import Foundation
package import KafkaClient

/// Reads one sample of a group's lag from the brokers: committed offsets (OffsetFetch, without
/// joining the group), watermarks, the group description when the broker gives one, and the
/// timestamp of the next message to process on every lagging partition.
package struct LagSampler: Sendable {
    package let admin: KafkaAdminClient
    package let connection: BrokerConnection
    package let group: String
    package let topics: [String]
    /// Whether to ask for the group description: false when the brokers do not advertise
    /// DescribeGroups (librdkafka 2.0.2 aborts the process if it is sent to such a broker).
    package var describesGroups: Bool

    package init(
        admin: KafkaAdminClient, connection: BrokerConnection, group: String, topics: [String],
        describesGroups: Bool = true
    ) {
        self.admin = admin
        self.connection = connection
        self.group = group
        self.topics = topics
        self.describesGroups = describesGroups
    }

    /// A sampler that asks the brokers which APIs they implement first.
    package static func make(
        admin: KafkaAdminClient, connection: BrokerConnection, group: String, topics: [String]
    ) async -> LagSampler {
        let apis = await admin.advertisedAPIs()
        return LagSampler(
            admin: admin, connection: connection, group: group, topics: topics,
            describesGroups: apis.map { $0[.describeGroups] != nil } ?? true)
    }

    /// The partitions of the topics, failing with a usage error for a topic the cluster does not have.
    package func partitions() async throws(OpsError) -> [TopicPartition] {
        let metadata = try await connection.checkReachable(admin)
        var partitions: [TopicPartition] = []
        var missing: [String] = []
        for topic in topics {
            guard let described = metadata.topic(topic), described.error == nil, !described.partitions.isEmpty else {
                missing.append(topic)
                continue
            }
            partitions += described.partitions.map { TopicPartition(topic, $0.id) }
        }
        if !missing.isEmpty {
            throw .usage(
                "no topic \(missing.joined(separator: ", ")) on \(connection.serversDescription)"
                    + " (create the ToxWatch topics with `toxctl topics create`, or pass --topics)")
        }
        return partitions
    }

    /// Takes one sample.
    package func sample(partitions: [TopicPartition], now: @Sendable () -> Date = { Date() }) async throws(OpsError)
        -> LagSnapshot
    {
        let committed: [TopicPartitionOffset]
        do {
            committed = try await admin.committedOffsets(group: group, partitions: partitions)
        } catch {
            throw connection.failure(error, while: "reading the committed offsets of group \(group)")
        }
        var snapshots: [PartitionSnapshot] = []
        for entry in committed {
            let watermarks: Watermarks
            do {
                watermarks = try await admin.watermarks(entry.topicPartition)
            } catch {
                throw connection.failure(error, while: "reading the watermarks of \(entry.topicPartition)")
            }
            snapshots.append(
                PartitionSnapshot(
                    topic: entry.topic, partition: entry.partition,
                    committedOffset: entry.offset.isAbsolute ? entry.offset.rawValue : nil,
                    logStartOffset: watermarks.low, logEndOffset: watermarks.high))
        }
        let time = now()
        let ownership = await owners(into: &snapshots)
        for index in snapshots.indices where snapshots[index].lag > 0 {
            snapshots[index].nextMessageTimestamp = await nextTimestamp(snapshots[index])
        }
        return LagSnapshot(group: group, time: time, partitions: snapshots, ownership: ownership)
    }

    /// Fills in the owners from DescribeGroups; a broker without it leaves them unknown, nothing else.
    private func owners(into snapshots: inout [PartitionSnapshot]) async -> OwnershipInfo {
        guard describesGroups else { return .unknown(reason: Self.noDescribeGroups) }
        let answer: KafkaGroupDescriptions
        do {
            answer = try await admin.describeGroups([group])
        } catch {
            return .unknown(reason: "the group description failed (\(error.message))")
        }
        switch answer {
        case .unsupportedByBroker:
            return .unknown(reason: Self.noDescribeGroups)
        case .described(let descriptions):
            guard let description = descriptions.first(where: { $0.groupID == group }) else {
                return .known(groupState: "Dead")
            }
            var owners: [TopicPartition: PartitionOwner] = [:]
            for member in description.members {
                for partition in member.assignment {
                    owners[partition] = PartitionOwner(
                        memberID: member.memberID, clientID: member.clientID, host: member.host)
                }
            }
            for index in snapshots.indices {
                snapshots[index].owner = owners[TopicPartition(snapshots[index].topic, snapshots[index].partition)]
            }
            return .known(groupState: description.state)
        }
    }

    static let noDescribeGroups =
        "the brokers do not implement DescribeGroups (librdkafka's 2.0.2 mock cluster, as in `toxctl dev-broker`, does not)"

    /// The timestamp of the next message the group has to process, nil if it cannot be read.
    private func nextTimestamp(_ snapshot: PartitionSnapshot) async -> Date? {
        let offset = max(snapshot.effectiveOffset, snapshot.logStartOffset)
        let message: KafkaMessage?
        do {
            message = try await admin.readMessage(topic: snapshot.topic, partition: snapshot.partition, offset: offset)
        } catch {
            return nil
        }
        return message?.timestamp?.date
    }
}
