// Original file: proto/redraft/v1/cluster.proto


export interface PromoteMemberResponse {
}

export interface PromoteMemberResponse__Output {
}
