# EKS with a private API endpoint, access to the Kubernetes API by EKS access entries only,
# secrets encrypted with KMS, every control-plane log type, one managed node group in the
# private subnets (no SSH) that the cluster autoscaler sizes, and EKS Pod Identity for the
# pods that call AWS APIs.
resource "aws_iam_role" "cluster" {
  name = "${var.name}-eks-cluster"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn
  # Private by default: Argo CD pulls from inside the cluster and Terraform talks to the AWS
  # API only, so no pipeline needs the Kubernetes API; operators come in over the VPC (VPN,
  # SSM). A public endpoint, when wanted, admits only the listed CIDRs.
  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = length(var.public_access_cidrs) > 0
    public_access_cidrs     = length(var.public_access_cidrs) > 0 ? var.public_access_cidrs : null
  }
  # Who may use the Kubernetes API is in access entries (below), not in the aws-auth
  # ConfigMap. Whoever created the cluster gets no entry: that is the pipeline's apply role,
  # which talks to the AWS API only; the operators are listed (operator_principal_arns).
  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }
  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = var.kms_key_arn
    }
  }
  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  tags                      = var.tags
  depends_on                = [aws_iam_role_policy_attachment.cluster]
}

# The operators: each listed IAM role or user is a cluster administrator, which every step of
# docs/operations/kubernetes.md (Setting it up) needs: it installs Argo CD and Gatekeeper
# (cluster-wide objects, CRDs), creates the namespace, its Secrets and ConfigMaps, and applies
# the Applications. The node group's role gets its own entry from EKS.
resource "aws_eks_access_entry" "operator" {
  for_each      = toset(var.operator_principal_arns)
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  type          = "STANDARD"
  tags          = var.tags
}

resource "aws_eks_access_policy_association" "operator" {
  for_each      = aws_eks_access_entry.operator
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {
    type = "cluster"
  }
}

resource "aws_iam_role" "node" {
  name = "${var.name}-eks-node"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = var.tags
}

# The three AWS-managed policies a node needs, and nothing more.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
  ])
  role       = aws_iam_role.node.name
  policy_arn = each.value
}

resource "aws_eks_node_group" "default" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "default"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  instance_types  = var.instance_types
  scaling_config {
    min_size     = var.node_min
    desired_size = var.node_min
    max_size     = var.node_max
  }
  update_config {
    max_unavailable = 1
  }
  # The cluster autoscaler moves desired_size between min and max; Terraform keeps the bounds.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }
  tags       = var.tags
  depends_on = [aws_iam_role_policy_attachment.node]
}

# Optional spot capacity for non-production: several instance types so a reclaimed type does
# not empty the group, labelled and tainted so only workloads that tolerate a two-minute
# interruption notice land on it. Off by default; production runs on on-demand nodes only.
resource "aws_eks_node_group" "spot" {
  count           = var.spot_enabled ? 1 : 0
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "spot"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  capacity_type   = "SPOT"
  instance_types  = var.spot_instance_types
  scaling_config {
    min_size     = 0
    desired_size = var.spot_min
    max_size     = var.spot_max
  }
  update_config {
    max_unavailable = 1
  }
  labels = {
    "orderflow.dev/capacity" = "spot"
  }
  taint {
    key    = "orderflow.dev/spot"
    value  = "true"
    effect = "NO_SCHEDULE"
  }
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }
  tags       = merge(var.tags, { CapacityType = "spot" })
  depends_on = [aws_iam_role_policy_attachment.node]
}

# What the manifests assume of the cluster: the VPC CNI enforcing NetworkPolicies (the
# namespace is default-deny, and without enforcement the policies are decoration), and the
# metrics server, without which the HPAs never scale.
resource "aws_eks_addon" "vpc_cni" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "vpc-cni"
  resolve_conflicts_on_update = "OVERWRITE"
  configuration_values        = jsonencode({ enableNetworkPolicy = "true" })
  tags                        = var.tags
}

resource "aws_eks_addon" "metrics_server" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "metrics-server"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags
  depends_on                  = [aws_eks_node_group.default]
}

# EKS Pod Identity: a pod gets the IAM role associated with its ServiceAccount here, by
# cluster, namespace and name, so no role ARN (and no account number) is written in the
# Kubernetes manifests, and no OIDC provider is needed.
resource "aws_eks_addon" "pod_identity_agent" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "eks-pod-identity-agent"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags
  depends_on                  = [aws_eks_node_group.default]
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  # The Kubernetes pods that get an IAM role: the cluster autoscaler's, and the callers'.
  pod_identities = merge(var.pod_identities, {
    cluster-autoscaler = {
      namespace       = "kube-system"
      service_account = "cluster-autoscaler"
      policy_json     = data.aws_iam_policy_document.cluster_autoscaler.json
    }
  })
}

data "aws_iam_policy_document" "pod_identity_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
    # Only for pods of this cluster (the confused-deputy guard).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_eks_cluster.this.arn]
    }
  }
}

resource "aws_iam_role" "pod" {
  for_each           = local.pod_identities
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "pod" {
  for_each = local.pod_identities
  name     = each.key
  role     = aws_iam_role.pod[each.key].id
  policy   = each.value.policy_json
}

resource "aws_eks_pod_identity_association" "pod" {
  for_each        = local.pod_identities
  cluster_name    = aws_eks_cluster.this.name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.pod[each.key].arn
  tags            = var.tags
}

# The cluster autoscaler (kubernetes/argocd/cluster-autoscaler.yaml runs it) finds the node
# groups by the tags EKS puts on a managed node group's Auto Scaling group,
# k8s.io/cluster-autoscaler/enabled and k8s.io/cluster-autoscaler/<cluster name>, and may
# resize or shrink only the groups that carry this cluster's tag.
data "aws_iam_policy_document" "cluster_autoscaler" {
  statement {
    sid = "ResizeThisClustersGroups"
    actions = [
      "autoscaling:SetDesiredCapacity",
      "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${aws_eks_cluster.this.name}"
      values   = ["owned"]
    }
  }
  statement {
    # Describe calls accept no resource ARN.
    sid = "DiscoverGroupsAndInstanceTypes"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }
  statement {
    # Labels and taints of a group scaled to zero (the spot group) come from EKS.
    sid       = "ReadThisClustersNodeGroups"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:aws:eks:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:nodegroup/${aws_eks_cluster.this.name}/*/*"]
  }
}
