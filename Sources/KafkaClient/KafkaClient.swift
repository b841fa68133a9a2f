// KafkaClient module. See DESIGN.md §5 for its role.
