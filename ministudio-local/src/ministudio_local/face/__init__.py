"""The ``face`` identity scorer: dlib face detection + ResNet descriptor."""
