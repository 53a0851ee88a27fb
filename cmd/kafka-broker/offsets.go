package main

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// answerUnknownGroupOffsets makes OffsetFetch behave as Kafka and Redpanda
// do for a consumer group that has never committed: no error, and offset -1
// for every partition asked about. kfake answers GROUP_ID_NOT_FOUND instead,
// which Tempo's block-builder treats as fatal for its consume cycle, so a
// fresh stack would never build a block.
func answerUnknownGroupOffsets(c *kfake.Cluster) {
	var mu sync.Mutex
	known := map[string]bool{}
	observe := func(group string) {
		mu.Lock()
		known[group] = true
		mu.Unlock()
	}
	// Groups come to exist by joining or committing; watch both, and let
	// kfake handle the requests themselves.
	c.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		observe(req.(*kmsg.OffsetCommitRequest).Group)
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.JoinGroup), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		observe(req.(*kmsg.JoinGroupRequest).Group)
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.ConsumerGroupHeartbeat), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		observe(req.(*kmsg.ConsumerGroupHeartbeatRequest).Group)
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.OffsetFetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.OffsetFetchRequest)
		mu.Lock()
		defer mu.Unlock()
		if req.Version <= 7 {
			if known[req.Group] {
				return nil, nil, false
			}
			resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
			for _, t := range req.Topics {
				rt := kmsg.NewOffsetFetchResponseTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch = p, -1, -1
					rt.Partitions = append(rt.Partitions, rp)
				}
				resp.Topics = append(resp.Topics, rt)
			}
			return resp, nil, true
		}
		for _, g := range req.Groups {
			if known[g.Group] {
				return nil, nil, false
			}
		}
		resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
		for _, g := range req.Groups {
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group = g.Group
			for _, t := range g.Topics {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic, rt.TopicID = t.Topic, t.TopicID
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch = p, -1, -1
					rt.Partitions = append(rt.Partitions, rp)
				}
				rg.Topics = append(rg.Topics, rt)
			}
			resp.Groups = append(resp.Groups, rg)
		}
		return resp, nil, true
	})
}
