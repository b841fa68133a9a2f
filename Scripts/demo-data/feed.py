#!/usr/bin/env python3
"""Feeds a patient course to ToxWatch and prints what the pharmacy received.

An independent Kafka client (Python confluent-kafka), used by Scripts/demo and the end-to-end
tests:

  feed.py feed --bootstrap B --course course.json [--delay SECONDS]
      produces the course's admission, inventory and events in event-time order, each keyed as the
      contract says (patient id; site/drug for inventory), with a short pause between records so
      that the workers see the course unfold.
  feed.py report --bootstrap B --patient P [--json] [--quiet SECONDS]
      waits until the output topics stop growing, then prints the grades, recommendations and
      shortage alternatives published for the patient, in order.
"""
import argparse
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

TOPIC_OF = {
    "patient": "cart.patient.v1", "vitals": "cart.vitals.v1", "neuro": "cart.neuro.v1",
    "lab": "cart.labs.v1", "finding": "cart.labs.v1", "medication": "cart.meds.v1",
    "inventory": "pharmacy.inventory.v1",
}
OUTPUTS = ["cart.toxicity-grades.v1", "pharmacy.anakinra-recommendations.v1", "pharmacy.shortage-alternatives.v1"]


def feed(args):
    course = json.load(open(args.course))
    records = [course["patient"]] + course.get("inventory", []) + course["events"]
    records.sort(key=lambda event: event["occurredAt"])
    # murmur2_random is Kafka's Java default: every producer of the patient topics must use the
    # same partitioner so that a patient lands in the same partition on every topic.
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True,
                         "partitioner": "murmur2_random"})
    failures = []
    for event in records:
        key = f"{event['site']}/{event['drug']}" if event["type"] == "inventory" else event["patientId"]
        producer.produce(TOPIC_OF[event["type"]], key=key.encode(), value=json.dumps(event).encode(),
                         on_delivery=lambda err, msg: failures.append(str(err)) if err else None)
        producer.flush(10)
        time.sleep(args.delay)
    if failures:
        print(json.dumps({"failures": failures}))
        sys.exit(1)
    print(json.dumps({"produced": len(records)}))


def read_outputs(bootstrap, quiet):
    """Reads the output topics until nothing new has arrived for `quiet` seconds."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "toxwatch-demo-report",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    assignment = []
    for topic in OUTPUTS:
        for partition in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
            assignment.append(TopicPartition(topic, partition, 0))
    consumer.assign(assignment)
    records = []
    last_new = time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() - last_new < quiet and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        last_new = time.monotonic()
        body = json.loads(message.value())
        records.append((message.topic(), message.partition(), message.offset(), body))
    consumer.close()
    return records


def grade_text(assessment):
    """The grade, or why there is none: a grade of null means stale findings, never grade 0 (clinical-spec A13.12)."""
    if assessment["grade"] is not None:
        return str(assessment["grade"])
    last = assessment.get("lastGraded")
    when = f" at {last['at'].replace('T', ' ').replace('Z', '')}" if last else ""
    return "not gradable, stale findings" + (f" (last {last['grade']}{when})" if last else "")


def describe(topic, body):
    when = body["assessedAt"].replace("T", " ").replace("Z", "")
    if topic == "cart.toxicity-grades.v1":
        iec = "IEC-HS present" if body["iecHs"]["present"] else "no IEC-HS"
        return f"{when}  grades          CRS {grade_text(body['crs'])} (max {body['crs']['maxGrade']}), " \
               f"ICANS {grade_text(body['icans'])} (max {body['icans']['maxGrade']}), {iec}"
    if topic == "pharmacy.anakinra-recommendations.v1":
        dose = body.get("dose") or {}
        amount = f"{dose.get('mg')} mg {dose.get('route')} {dose.get('frequency')} ({dose.get('dailyMg')} mg/day)" if dose.get("mg") else ""
        # The decisive reason first (why this action), then the next one for context.
        ordered = sorted(body.get("reasons", []), key=lambda reason: not reason.get("decisive"))
        reasons = list(dict.fromkeys(reason.get("code") for reason in ordered))[:2]
        return f"{when}  anakinra        {body['action'].upper():9} {amount}  [{', '.join(reasons)}]"
    if body.get("cause") == "no-longer-needed":
        return f"{when}  shortage        {body['shortDrug']} no longer needed (24 h need 0)"
    options = ", ".join(
        f"{option['rank']}. {option['drug']}" + (f" {option['dose'].get('mg')} mg" if option.get("dose") and option["dose"].get("mg") else "")
        for option in body.get("alternatives", []))
    need = body.get("need24h") or {}
    return f"{when}  shortage        {body['shortDrug']} {body.get('status')} at {body.get('site')}: {options}" \
           + (f"  (24 h need {need.get('mg')} mg)" if need.get("mg") is not None else "")


def report(args):
    records = [record for record in read_outputs(args.bootstrap, args.quiet) if record[3].get("patientId") == args.patient]
    records.sort(key=lambda record: (record[3]["assessedAt"], OUTPUTS.index(record[0])))
    if args.json:
        print(json.dumps([{"topic": topic, "body": body} for topic, _, _, body in records]))
        return
    print(f"What ToxWatch published for {args.patient} (every line needs a clinician's and a pharmacist's check):")
    for topic, _, _, body in records:
        print("  " + describe(topic, body))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    f = commands.add_parser("feed")
    f.add_argument("--bootstrap", required=True)
    f.add_argument("--course", required=True)
    f.add_argument("--delay", type=float, default=0.15)
    r = commands.add_parser("report")
    r.add_argument("--bootstrap", required=True)
    r.add_argument("--patient", required=True)
    r.add_argument("--json", action="store_true")
    r.add_argument("--quiet", type=float, default=4)
    args = parser.parse_args()
    {"feed": feed, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
