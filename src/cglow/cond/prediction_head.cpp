#include "cglow/cond/prediction_head.h"

#include <stdexcept>

#include "cglow/centre_window.h"
#include "cglow/channels_last.h"
#include "cglow/flops.h"

namespace cglow {

std::string prediction_link_for(const OutputCoding& coding) {
  switch (coding.kind()) {
    case OutputCoding::Kind::continuous:
      return "identity";
    case OutputCoding::Kind::binary:
      return "sigmoid";
    case OutputCoding::Kind::multiclass:
      return "softmax";
  }
  throw std::logic_error("unknown output kind");
}

PredictionHeadImpl::PredictionHeadImpl(int64_t features, Shape x, Shape y, const std::string& link)
    // GlowConfig::validate has checked that the link is one of the three.
    : y_(y), link_(link == "sigmoid" ? Link::sigmoid : link == "softmax" ? Link::softmax : Link::identity) {
  head_ = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(features, y.channels, 1)));
  {
    torch::NoGradGuard no_grad;
    head_->weight.mul_(kParameterOutputInitScale);
    head_->bias.zero_();
  }
  flops_ = conv_flops(head_, x.height, x.width);
}

torch::Tensor PredictionHeadImpl::forward(const torch::Tensor& features) {
  const auto full = head_->forward(channels_last(features)).contiguous();
  const auto window = centre_window(full, y_.height, y_.width);
  switch (link_) {
    case Link::sigmoid:
      return (window.sigmoid() - kLabelOffset).unsqueeze(1);
    case Link::softmax:
      return (window.softmax(1) - kLabelOffset).unsqueeze(1);
    case Link::identity:
      break;
  }
  return window.unsqueeze(1);
}

}  // namespace cglow
