//! Word segmentation (jieba, dictionary loaded once per process) and the stop-list of
//! generic political wording that must not make unrelated sentences look alike.
